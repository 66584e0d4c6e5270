"""Errors raised by the neurofeat client.

Every failed call raises a subclass of :class:`Error` that carries the gRPC
status code and the server's message, which names the field and the value
that are wrong::

    try:
        client.extract(x, pipeline, sfreq=256)
    except neurofeat.InvalidArgument as e:
        print(e.code, e.message)   # StatusCode.INVALID_ARGUMENT  "features.bp.params.bands: ..."
"""

import grpc


class Error(Exception):
    """A call to neurofeatd failed. ``code`` is the grpc.StatusCode, ``message`` the server's text."""

    code = grpc.StatusCode.UNKNOWN

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self):
        return f"{self.code.name}: {self.message}"


class InvalidArgument(Error):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(Error):
    code = grpc.StatusCode.NOT_FOUND


class PermissionDenied(Error):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(Error):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(Error):
    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(Error):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class Cancelled(Error):
    code = grpc.StatusCode.CANCELLED


class FailedPrecondition(Error):
    code = grpc.StatusCode.FAILED_PRECONDITION


class DataLoss(Error):
    code = grpc.StatusCode.DATA_LOSS


class DatasetError(Error):
    """A dataset run did not complete: ``missing`` lists the recordings without rows.

    Each entry of ``missing`` is ``(index, name, error)``. No partial table is
    returned.
    """

    def __init__(self, missing, total):
        self.missing = missing
        self.total = total
        first = missing[0][2] if missing else None
        code = first.code if isinstance(first, Error) else grpc.StatusCode.UNKNOWN
        names = ", ".join(f"{name} ({err})" for _, name, err in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        super().__init__(
            f"{len(missing)} of {total} recordings have no rows: {names}{more}", code)


_BY_CODE = {cls.code: cls for cls in (InvalidArgument, NotFound, PermissionDenied,
                                       ResourceExhausted, Unavailable, DeadlineExceeded,
                                       Cancelled, FailedPrecondition, DataLoss)}


def from_rpc_error(error):
    """The neurofeat Error for a grpc.RpcError (its code and details)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    cls = _BY_CODE.get(code, Error)
    return cls(details or code.name, code)
