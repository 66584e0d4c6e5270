#!/usr/bin/python3
"""A dataset re-run over three replicas, each with its own result cache: how
often the re-run finds its results, with recordings placed by rendezvous
hashing (the default) and in turn (--placement round-robin), and after one
replica is killed.

    /usr/bin/python3 bench/replica_cache_bench.py [--recordings 48] [--windows 1920]

Starts 3 neurofeatd on 127.0.0.1 (free ports, --threads 1 each, each its own
fresh RocksDB cache; one data root they share) and runs a manifest of
--recordings recordings (EEGDash's how-to windows, 6 channels x 256 samples
at 128 Hz, rotated by a different number of windows for each recording, so
that no two have the same content) through
`neurofeat extract --manifest ... --server A,B,C`, timed from start to exit.

For each placement, on fresh servers:
  cold      nothing cached
  warm      the same command again
  shuffled  the manifest in another order (which recording comes when
            decides round-robin's placement, not rendezvous')
and with rendezvous placement only, after that:
  killed    one server (the second) killed with SIGKILL, the same command

The hit ratio is the servers' feature-result lookups during the run,
neurofeat_cache_lookups_total{level="features",result="hit"} over hit + miss,
from each server's /metrics (the killed server's are left out: it answers
nothing). Every table is checked equal to the cold rendezvous run's (the
shuffled runs' rows sorted). The workload: variance, multiscale entropy,
alpha/beta band power (tests/data/eegdash/howto_pipeline.json).
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("NEUROFEAT_BUILD", os.path.join(ROOT, "build"))
GOLDEN = os.path.join(ROOT, "..", "shared", "golden", "eegdash", "howto", "howto_X.npy")
PIPELINE = os.path.join(ROOT, "tests", "data", "eegdash", "howto_pipeline.json")
CHANNELS = "O1,Oz,O2,Cz,Pz,POz"
HITS = 'neurofeat_cache_lookups_total{level="features",result="hit"}'
MISSES = 'neurofeat_cache_lookups_total{level="features",result="miss"}'
EXTRACTS = 'neurofeat_requests_total{code="OK",rpc="Extract"}'


class Server:
    """A neurofeatd on a free loopback port with its own cache."""

    def __init__(self, work, name, data):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        port_file = os.path.join(self.dir, "port")
        metrics_file = os.path.join(self.dir, "metrics_port")
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.process = subprocess.Popen(
            [os.path.join(BUILD, "server", "neurofeatd"), "--listen", "127.0.0.1:0",
             "--port-file", port_file, "--metrics-listen", "127.0.0.1:0",
             "--metrics-port-file", metrics_file, "--data-root", data,
             "--cache-dir", os.path.join(self.dir, "cache"), "--threads", "1",
             "--drain-notice", "0s"], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(500):
            if all(os.path.exists(f) and open(f).read().strip()
                   for f in (port_file, metrics_file)):
                break
            if self.process.poll() is not None:
                sys.exit(f"neurofeatd exited: {open(self.log.name).read()}")
            time.sleep(0.02)
        self.target = f"127.0.0.1:{int(open(port_file).read())}"
        self.metrics = f"http://127.0.0.1:{int(open(metrics_file).read())}/metrics"

    def alive(self):
        return self.process.poll() is None

    def counter(self, series):
        page = urllib.request.urlopen(self.metrics).read().decode()
        for line in page.splitlines():
            if line.startswith(series + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def write_dataset(data, n, windows):
    if os.path.exists(GOLDEN):
        x = np.load(GOLDEN)
    else:  # the same kind of data, generated
        sys.path.insert(0, HERE)
        import features_bench  # pylint: disable=import-outside-toplevel
        features_bench.generate(os.path.join(data, "howto_X.npy"))
        x = np.load(os.path.join(data, "howto_X.npy"))
        os.unlink(os.path.join(data, "howto_X.npy"))
    x = x[:windows]
    names = []
    for i in range(n):
        name = f"rec{i:02d}.npy"
        np.save(os.path.join(data, name), np.roll(x, i + 1, axis=0))
        names.append(name)
    return names


def write_manifest(path, names):
    with open(path, "w") as f:
        f.write("remote_path,subject\n")
        for name in names:
            f.write(f"{name},{name[3:5]}\n")


def run(servers, manifest, output, placement):
    """(seconds, hits, lookups) of one `neurofeat extract --manifest` run."""
    alive = [s for s in servers if s.alive()]
    before = [(s.counter(HITS), s.counter(MISSES)) for s in alive]
    argv = [os.path.join(BUILD, "client", "cli", "neurofeat"), "extract", "--manifest", manifest,
            "--fs", "128", "--channels", CHANNELS, "--pipeline", PIPELINE, "--output", output,
            "--server", ",".join(s.target for s in servers), "--placement", placement,
            "--quiet"]
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr}")
    hits = sum(s.counter(HITS) - b[0] for s, b in zip(alive, before))
    misses = sum(s.counter(MISSES) - b[1] for s, b in zip(alive, before))
    return seconds, hits, hits + misses


def read_rows(path, sort=False):
    with open(path) as f:
        lines = f.read().splitlines()
    return lines[:1] + (sorted(lines[1:]) if sort else lines[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", type=int, default=48)
    parser.add_argument("--windows", type=int, default=1920,
                        help="windows per recording (at most 1920)")
    parser.add_argument("--seed", type=int, default=1, help="the shuffled manifest's order")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="replica_cache_bench.")
    servers = []
    try:
        data = os.path.join(work, "data")
        os.makedirs(data)
        names = write_dataset(data, args.recordings, args.windows)
        manifest = os.path.join(work, "recordings.csv")
        write_manifest(manifest, names)
        shuffled_names = list(names)
        random.Random(args.seed).shuffle(shuffled_names)
        shuffled = os.path.join(work, "shuffled.csv")
        write_manifest(shuffled, shuffled_names)

        results = []  # (placement, run, seconds, hits, lookups, table equal)
        reference = None
        held = None  # recordings the killed server held (3 runs of each)
        for placement in ("rendezvous", "round-robin"):
            for s in servers:
                s.stop()
            servers = [Server(work, f"{placement}-{k}", data) for k in range(3)]
            steps = [("cold", manifest), ("warm", manifest), ("shuffled", shuffled)]
            if placement == "rendezvous":
                steps.append(("killed", manifest))
            for step, rows in steps:
                if step == "killed":
                    held = servers[1].counter(EXTRACTS) / 3
                    servers[1].kill()
                output = os.path.join(work, f"{placement}-{step}.csv")
                seconds, hits, lookups = run(servers, rows, output, placement)
                table = read_rows(output, sort=True)
                if reference is None:
                    reference = table
                results.append((placement, step, seconds, hits, lookups, table == reference))
                print(f"{placement:11s} {step:8s} {seconds:7.3f} s  hits {hits:5.0f} / "
                      f"{lookups:5.0f}", flush=True)

        print(f"\n{args.recordings} recordings x {args.windows} windows x 6 channels, 3 replicas")
        print("| placement | run | time | feature hits | hit ratio | vs cold | table |")
        print("|---|---|---|---|---|---|---|")
        cold = {}
        for placement, step, seconds, hits, lookups, equal in results:
            cold.setdefault(placement, seconds)
            ratio = hits / lookups if lookups else 0.0
            print(f"| {placement} | {step} | {seconds:.3f} s | {hits:.0f} / {lookups:.0f} | "
                  f"{100 * ratio:.1f} % | {cold[placement] / seconds:.1f}x | "
                  f"{'equal' if equal else 'DIFFERS'} |")
        by = {(p, s): (sec, h / l if l else 0.0, eq) for p, s, sec, h, l, eq in results}
        warm = by[("rendezvous", "warm")]
        killed = by[("rendezvous", "killed")]
        checks = [
            ("warm re-run: hits >= 95 %", warm[1] >= 0.95),
            ("warm re-run: >= 10x faster than cold",
             by[("rendezvous", "cold")][0] / warm[0] >= 10),
            ("one replica killed: hits >= 60 %", killed[1] >= 0.60),
            ("every table complete and equal", all(r[5] for r in results)),
        ]
        print(f"the killed replica held {held:.0f} of the {args.recordings} recordings "
              f"(its rendezvous share for these ports)")
        for name, ok in checks:
            print(f"{name}: {'met' if ok else 'NOT MET'}")
        return 0 if all(ok for _, ok in checks) else 1
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
