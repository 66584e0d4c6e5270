"""pip install ./client/python: the neurofeat package, with its neurofeat.v1
stubs generated from ../../proto at build time (protoc and grpc_python_plugin,
Debian's protobuf-compiler-grpc). Depends on Debian's python3-grpcio,
python3-protobuf, python3-numpy and python3-pandas:

    python3 -m venv --system-site-packages .venv
    .venv/bin/pip install --no-build-isolation --no-deps ./client/python
"""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))


class BuildWithStubs(build_py):
    def run(self):
        super().run()
        plugin = shutil.which("grpc_python_plugin")
        if plugin is None:
            raise RuntimeError("grpc_python_plugin not found (apt-get install protobuf-compiler-grpc)")
        out = self.build_lib
        os.makedirs(os.path.join(out, "neurofeat", "v1"), exist_ok=True)
        subprocess.check_call([
            "protoc", f"--proto_path={PROTO}", f"--python_out={out}", f"--grpc_out={out}",
            f"--plugin=protoc-gen-grpc={plugin}",
            os.path.join(PROTO, "neurofeat", "v1", "pipeline.proto"),
            os.path.join(PROTO, "neurofeat", "v1", "service.proto")])
        open(os.path.join(out, "neurofeat", "v1", "__init__.py"), "w").close()


setup(
    name="neurofeat",
    version="0.1.0",
    description="Python client of neurofeatd: preprocessing and EEGDash features as DataFrames",
    packages=["neurofeat"],
    python_requires=">=3.9",
    install_requires=["grpcio", "protobuf", "numpy", "pandas"],
    extras_require={"mne": ["mne"], "progress": ["tqdm"]},
    cmdclass={"build_py": BuildWithStubs},
)
