"""LocalServer: a neurofeatd on 127.0.0.1 owned by this process.

For a laptop or a Slurm allocation where no server is running yet: starts the
``neurofeatd`` binary on a free loopback port (the server picks it and writes
it to a file), with its own upload folder, and stops it (SIGTERM, then
SIGKILL) on ``stop()`` or when the ``with`` block ends. The server sizes its
threads and memory from the cgroup, Slurm and affinity limits, as always.

Example::

    with neurofeat.LocalServer() as server, neurofeat.Client(server.target) as client:
        df = client.extract(x, "pipeline.json", sfreq=256)
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time


def find_neurofeatd(binary=None):
    """The neurofeatd to run: ``binary``, $NEUROFEATD, the build tree this
    package was laid out in (build/python/neurofeat -> build/server), or PATH."""
    if binary is not None:
        if os.path.isfile(binary) and os.access(binary, os.X_OK):
            return binary
        raise FileNotFoundError(f"neurofeatd not found at {binary}")
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("NEUROFEATD"),
                  os.path.join(here, "..", "..", "server", "neurofeatd"),
                  shutil.which("neurofeatd")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and os.path.isfile(candidate):
            return os.path.normpath(candidate)
    raise FileNotFoundError(
        "neurofeatd not found: pass binary=..., set NEUROFEATD, or put it on PATH "
        "(it is built to build/server/neurofeatd)")


class LocalServer:
    """A neurofeatd on 127.0.0.1 for the life of this object.

    ``threads`` caps the server's compute threads (it never exceeds the
    machine's limits anyway); ``data_root`` is the folder ``ServerPath``
    names resolve under (default: none); ``cache_dir`` the result cache
    (default: the server's, ~/.cache/neurofeat; ``no_cache=True`` runs
    without); ``args`` are further neurofeatd flags.
    """

    def __init__(self, binary=None, *, threads=None, data_root=None, cache_dir=None,
                 no_cache=False, args=(), startup_timeout=30.0):
        self._binary = find_neurofeatd(binary)
        self._dir = tempfile.TemporaryDirectory(prefix="neurofeatd-")
        port_file = os.path.join(self._dir.name, "port")
        argv = [self._binary, "--listen", "127.0.0.1:0", "--port-file", port_file,
                "--upload-dir", os.path.join(self._dir.name, "uploads"),
                "--drain-notice", "0s"]
        if threads is not None:
            argv += ["--threads", str(int(threads))]
        if data_root is not None:
            argv += ["--data-root", os.fspath(data_root)]
        if no_cache:
            argv += ["--no-cache"]
        elif cache_dir is not None:
            argv += ["--cache-dir", os.fspath(cache_dir)]
        argv += list(args)
        self.log_path = os.path.join(self._dir.name, "neurofeatd.log")
        self._log = open(self.log_path, "w")  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(argv, stdout=self._log,  # pylint: disable=consider-using-with
                                        stderr=subprocess.STDOUT)
        give_up = time.monotonic() + startup_timeout
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if self.process.poll() is not None or time.monotonic() > give_up:
                self.stop()
                raise RuntimeError(f"neurofeatd did not start:\n{self.log()}")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())
        self.target = f"127.0.0.1:{self.port}"

    def log(self):
        """What the server has printed so far."""
        with open(self.log_path) as f:
            return f.read()

    def stop(self, timeout=30.0):
        """SIGTERM (running calls finish), SIGKILL after ``timeout`` s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self._log.closed:
            self._log.close()
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self._dir.cleanup()
