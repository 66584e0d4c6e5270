"""neurofeat: the Python client of neurofeatd.

Preprocessing and EEGDash's feature bank for neural recordings, computed by a
neurofeatd server: the same numbers as SpikeInterface and EEGDash, as pandas
DataFrames with EEGDash's column names.

Example::

    import neurofeat
    with neurofeat.Client("127.0.0.1:50051") as client:
        df = client.extract(windows, "pipeline.json", sfreq=256, ch_names=names)

Each table's ``attrs`` say what computed it: ``engine_version``,
``pipeline_digest`` and ``servers``. ``neurofeat.read_table`` reads a table
the command-line client wrote; ``neurofeat.sklearn.FeatureExtractor`` (with
scikit-learn installed) is a transformer for ``sklearn.pipeline.Pipeline``.
"""

from neurofeat._client import Client
from neurofeat._errors import (Cancelled, DataLoss, DatasetError, DeadlineExceeded, Error,
                               FailedPrecondition, InvalidArgument, NotFound, PermissionDenied,
                               ResourceExhausted, Unavailable)
from neurofeat._inputs import LocalFile, Recording, ServerPath
from neurofeat._io import read_table
from neurofeat._local import LocalServer, find_neurofeatd

__version__ = "0.1.0"

__all__ = ["Client", "LocalServer", "find_neurofeatd", "Recording", "ServerPath", "LocalFile",
           "read_table", "Error", "InvalidArgument", "NotFound",
           "PermissionDenied", "ResourceExhausted", "Unavailable", "DeadlineExceeded",
           "Cancelled", "FailedPrecondition", "DataLoss", "DatasetError"]
