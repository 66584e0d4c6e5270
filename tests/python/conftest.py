"""Fixtures: a real neurofeatd on 127.0.0.1 (a free port it picks and writes to
a port file), with a fresh data root, stopped by the test; and the paths of the
build (NEUROFEAT_BUILD, default ./build) and of the test data."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NEUROFEAT_BUILD", os.path.join(ROOT, "build"))
DATA = os.path.join(ROOT, "tests", "data")


class Server:
    def __init__(self, tmp, flags=()):
        self.data_root = os.path.join(tmp, "data")
        os.makedirs(self.data_root, exist_ok=True)
        port_file = os.path.join(tmp, "port")
        metrics_file = os.path.join(tmp, "metrics_port")
        self.log_path = os.path.join(tmp, "neurofeatd.log")
        argv = [os.path.join(BUILD, "server", "neurofeatd"),
                "--port-file", port_file, "--data-root", self.data_root,
                "--upload-dir", os.path.join(tmp, "uploads"), "--metrics-listen", "127.0.0.1:0",
                "--metrics-port-file", metrics_file, "--drain-notice", "0s"]
        if "--listen" not in flags:  # a restart on a known port gives it
            argv += ["--listen", "127.0.0.1:0"]
        if "--cache-dir" not in flags and "--no-cache" not in flags:
            argv += ["--cache-dir", os.path.join(tmp, "cache")]
        argv += list(flags)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if self.process.poll() is not None:
                raise RuntimeError(open(self.log_path).read())
            time.sleep(0.02)
        self.port = int(open(port_file).read())
        self.metrics_port = int(open(metrics_file).read())
        self.target = f"127.0.0.1:{self.port}"

    def metric(self, name):
        page = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics").read()
        for line in page.decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return None

    def cpu_seconds(self):
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self):
        self.process.kill()
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        return self.process.returncode


@pytest.fixture
def make_server(tmp_path):
    servers = []

    def make(*flags):
        server = Server(str(tmp_path / f"server{len(servers)}"), flags)
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def server(make_server):
    return make_server()


def cli(*args, cwd=None):
    """Runs the neurofeat CLI; returns (exit code, output)."""
    r = subprocess.run([os.path.join(BUILD, "client", "cli", "neurofeat"), *args], cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout
