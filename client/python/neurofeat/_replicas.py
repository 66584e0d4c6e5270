"""Several neurofeatd replicas behind one target, and which one a recording goes to.

The same rules and numbers as the C++ client (client/lib/replicas.h): a target
is "HOST:PORT", a comma-separated list of them, or "dns:///NAME:PORT" (every
address NAME resolves to, resolved again every 10 s, and within 1 s after a
replica was unreachable, so a scaled StatefulSet is picked up). Each replica
keeps its own result cache, so a recording goes to the replica its key ranks
first by rendezvous (highest-random-weight) hashing, and on a refusal to the
one ranked next. What is hashed:

- a file the server reads: ``"path:" + FileFormat name + ":" + path``, as sent
  (e.g. ``"path:EDF:sub-01/eeg/sub-01_task-rest_eeg.edf"``);
- a local file that is uploaded: ``"sha256:"`` + the hex SHA-256 of the file's
  bytes on disk;
- an array sent inline or uploaded: ``"sha256:"`` + the hex SHA-256 of its
  bytes as sent (C order, little-endian), without dtype or shape.

A replica's weight for a key is the first 8 bytes, big-endian, of
SHA-256(address + "\\n" + key); the highest ranks first (ties: the smaller
address). Calls without a recording (info, features, a BIDS plan) go to the
replicas in turn.

Example::

    replicas = Replicas("10.0.0.5:50051,10.0.0.6:50051", grpc.insecure_channel)
    first = replicas.order(path_key("sub-01/eeg.edf", "EDF"))[0]
"""

import hashlib
import itertools
import socket
import threading
import time

from neurofeat import _errors

# ReplicasOptions' defaults in client/lib/replicas.h.
REFRESH_SECONDS = 10.0
UNREACHABLE_REFRESH_SECONDS = 1.0
UNREACHABLE_SKIP_SECONDS = 3.0
PLACEMENTS = ("rendezvous", "round-robin")


# ---- Targets --------------------------------------------------------------------

def _check_host_port(entry, target):
    host, sep, port = entry.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise _errors.InvalidArgument(
            f'target={target}: "{entry}" is not HOST:PORT (port 1-65535)')
    return host, port


def resolve_target(target):
    """The "HOST:PORT" addresses `target` names (a dns:/// name: every address it
    resolves to). Raises InvalidArgument naming a malformed entry, NotFound for a
    name that does not resolve."""
    if not target:
        raise _errors.InvalidArgument("target: HOST:PORT is required")
    if target.startswith("dns:"):
        rest = target[len("dns:"):]
        rest = rest[3:] if rest.startswith("///") else rest
        host, port = _check_host_port(rest, target)
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        try:
            found = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
        except OSError as e:
            raise _errors.NotFound(f"target={target}: cannot resolve {host} ({e})") from None
        out = []
        for family, _, _, _, sockaddr in found:
            address = (f"[{sockaddr[0]}]:{port}" if family == socket.AF_INET6
                       else f"{sockaddr[0]}:{port}")
            if address not in out:
                out.append(address)
        if not out:
            raise _errors.NotFound(f"target={target}: {host} has no address")
        return out
    out = []
    for entry in target.split(","):
        entry = entry.strip()
        _check_host_port(entry, target)
        if entry in out:
            raise _errors.InvalidArgument(f"target={target}: {entry} is listed twice")
        out.append(entry)
    return out


# ---- Keys and ranks -------------------------------------------------------------

def path_key(path, file_format):
    """The key of a file the server reads; `file_format` is the v1 FileFormat
    name sent ("FILE_FORMAT_AUTO", "EDF", ...)."""
    return f"path:{file_format}:{path}"


def bytes_key(data):
    """The key of samples sent from memory: their SHA-256 (`data`: bytes, or a
    C-contiguous array)."""
    return "sha256:" + hashlib.sha256(memoryview(data).cast("B")).hexdigest()


def file_key(path):
    """The key of a local file that is uploaded: the SHA-256 of its bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def weight(address, key):
    """Replica `address`'s weight for `key`."""
    digest = hashlib.sha256(address.encode() + b"\n" + key.encode()).digest()
    return int.from_bytes(digest[:8], "big")


def rank(addresses, key):
    """The indices of `addresses` in the order `key` prefers them."""
    return sorted(range(len(addresses)), key=lambda i: (-weight(addresses[i], key),
                                                        addresses[i]))


# ---- Replicas -------------------------------------------------------------------

class Replica:
    """One server: its address (``target``, as ``neurofeat upload --server``
    takes it), channel and stub."""

    def __init__(self, address, channel, stub):
        self.target = address
        self.channel = channel
        self.stub = stub
        self.skip_until = 0.0  # clock time until which it is tried last


class Replicas:
    """The replicas of a target and the order a call tries them in.

    ``connect(address)`` -> (channel, stub). ``resolver(target)`` -> addresses
    (default :func:`resolve_target`) and ``clock`` (default time.monotonic) are
    for tests. Thread-safe.
    """

    def __init__(self, target, connect, *, placement="rendezvous", resolver=None,
                 clock=time.monotonic):
        if placement not in PLACEMENTS:
            raise ValueError(f"placement: {placement!r} is not one of {', '.join(PLACEMENTS)}")
        self.target = target
        self.placement = placement
        self._connect = connect
        self._resolve = resolver or resolve_target
        self._clock = clock
        self._dynamic = target.startswith("dns:")
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._resolving = False
        self._unreachable = False
        self._members = self._build(self._resolve(target), [])
        if not self._members:
            raise _errors.NotFound(f"target={target}: no address")
        self._resolved_at = clock()

    def _build(self, addresses, old):
        by_address = {r.target: r for r in old}
        out = []
        for address in addresses:
            if address in by_address:  # keeps its connection and its mark
                out.append(by_address[address])
            else:
                out.append(Replica(address, *self._connect(address)))
        return out

    def members(self):
        """The replicas as last resolved."""
        with self._lock:
            return list(self._members)

    def uses_keys(self):
        """Whether a call's key decides anything (several replicas, or a name that
        may resolve to several): else it need not be computed."""
        return self.placement == "rendezvous" and (self._dynamic or len(self.members()) > 1)

    def current(self):
        """The replicas, resolved again first when it is due."""
        with self._lock:
            if not self._dynamic or self._resolving:
                return list(self._members)
            age = self._clock() - self._resolved_at
            if age < REFRESH_SECONDS and not (self._unreachable
                                              and age >= UNREACHABLE_REFRESH_SECONDS):
                return list(self._members)
            self._resolving = True
            old = list(self._members)
        # Resolved outside the lock; a name that does not resolve for a moment
        # keeps the list.
        fresh = old
        try:
            addresses = self._resolve(self.target)
            if addresses:
                fresh = self._build(addresses, old)
        except Exception:  # pylint: disable=broad-except
            pass
        # A replica no longer listed is dropped, not closed: a call may still be
        # running on it.
        with self._lock:
            self._members = fresh
            self._resolved_at = self._clock()
            self._resolving = False
            self._unreachable = False
        return list(fresh)

    def order(self, key, members=None):
        """The replicas a call with `key` tries, in order: rendezvous rank (an
        empty key, or round-robin placement: the next turn); those unreachable
        lately last."""
        members = self.current() if members is None else members
        n = len(members)
        if not key or self.placement == "round-robin":
            start = next(self._turn) % n
            ordered = [members[(start + k) % n] for k in range(n)]
        else:
            ordered = [members[i] for i in rank([r.target for r in members], key)]
        now = self._clock()
        return ([r for r in ordered if r.skip_until <= now]
                + [r for r in ordered if r.skip_until > now])

    def mark_unreachable(self, replica):
        replica.skip_until = self._clock() + UNREACHABLE_SKIP_SECONDS
        with self._lock:
            self._unreachable = True

    def close(self):
        for r in self.members():
            r.channel.close()
