"""Several replicas behind one Client: a recording goes to the replica its key
ranks first by rendezvous hashing (the C++ client's rule and numbers,
client/lib/replicas.h), so a re-run finds its results in that replica's cache;
a refusal or a dead replica hands it to the one ranked next; dns:/// targets
are resolved again so a scaled set is picked up."""

import os
import shutil

import numpy as np
import pytest

import neurofeat
from neurofeat import _replicas
from conftest import DATA, cli

# The same vectors as tests/client/replicas_test.cc (the SHA-256s of "" and
# "abc" are FIPS 180-2's).
A, B, C = "10.0.0.1:50051", "10.0.0.2:50051", "10.0.0.3:50051"
EDF_KEY = "path:EDF:sub-01/eeg/sub-01_task-rest_eeg.edf"
EMPTY_KEY = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ABC_KEY = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
HOWTO_CHANNELS = ["O1", "Oz", "O2", "Cz", "Pz", "POz"]
HOWTO_PIPELINE = os.path.join(DATA, "eegdash", "howto_pipeline.json")
FEATURE_HITS = 'neurofeat_cache_lookups_total{level="features",result="hit"}'
FEATURE_MISSES = 'neurofeat_cache_lookups_total{level="features",result="miss"}'
EXTRACTS = 'neurofeat_requests_total{code="OK",rpc="Extract"}'


def test_keys_weights_and_ranks_are_the_cpp_clients():
    assert _replicas.path_key("rec0.npy", "FILE_FORMAT_AUTO") == "path:FILE_FORMAT_AUTO:rec0.npy"
    assert _replicas.bytes_key(b"") == EMPTY_KEY
    assert _replicas.bytes_key(b"abc") == ABC_KEY
    # An array's key is its bytes as sent.
    x = np.arange(12, dtype="<f4").reshape(3, 4)
    assert _replicas.bytes_key(x) == _replicas.bytes_key(x.tobytes())
    assert [_replicas.weight(a, EDF_KEY) for a in (A, B, C)] == [
        0x0ada3511864f1b68, 0x30fa88aff6ffd01c, 0x9959494659af2c40]
    assert [_replicas.weight(a, EMPTY_KEY) for a in (A, B, C)] == [
        0x42a20c8c51fcf8c4, 0x68ba18958b589a45, 0x19cafe78bf254bfa]
    assert _replicas.rank([A, B, C], EDF_KEY) == [2, 1, 0]
    assert _replicas.rank([A, B, C], ABC_KEY) == [1, 0, 2]
    assert _replicas.rank([C, A, B], ABC_KEY) == [2, 1, 0]
    first = [0, 0, 0]
    for i in range(3000):
        first[_replicas.rank([A, B, C], f"path:FILE_FORMAT_AUTO:rec{i}.npy")[0]] += 1
    assert first == [1028, 1014, 958]  # the C++ test's count


def test_a_file_key_is_the_sha256_of_its_bytes(tmp_path):
    big = bytes((i * 7) % 251 for i in range(3 * (1 << 20) + 5))
    (tmp_path / "big.bin").write_bytes(big)
    assert _replicas.file_key(str(tmp_path / "big.bin")) == (
        "sha256:ec2623f73dcc1952ac286d1a0e4b72f10904022864fa6db9558717a7e5a94ec4")


def test_removing_a_replica_moves_only_the_keys_it_held():
    five = [f"10.1.0.{i}:50051" for i in range(1, 6)]
    four = five[:2] + five[3:]
    held = 0
    for i in range(2000):
        key = f"path:EDF:sub-{i}.edf"
        before = _replicas.rank(five, key)
        after = four[_replicas.rank(four, key)[0]]
        if before[0] == 2:
            held += 1
            assert after == five[before[1]], key
        else:
            assert after == five[before[0]], key
    assert 300 < held < 500


def test_targets_are_checked_as_the_cpp_client_checks_them():
    assert _replicas.resolve_target("a.example:1, b.example:2,[::1]:3") == [
        "a.example:1", "b.example:2", "[::1]:3"]
    for bad in ("", "host", "host:", "host:0", "host:65536", "a:1,,b:2", ":80", "a:1,a:1",
                "host:http"):
        with pytest.raises(neurofeat.InvalidArgument) as raised:
            _replicas.resolve_target(bad)
        assert "target" in raised.value.message, bad
    with pytest.raises(neurofeat.NotFound) as raised:
        _replicas.resolve_target("dns:///no-such-host.invalid:1")
    assert "no-such-host.invalid" in raised.value.message
    assert all(a.endswith(":7000") for a in _replicas.resolve_target("dns:///localhost:7000"))
    with pytest.raises(ValueError):
        neurofeat.Client("127.0.0.1:1", placement="nearest")
    # Keys are computed (an array hashed) only where they decide something.
    assert not neurofeat.Client("127.0.0.1:1")._replicas.uses_keys()
    assert neurofeat.Client("127.0.0.1:1,127.0.0.1:2")._replicas.uses_keys()
    assert not neurofeat.Client("127.0.0.1:1,127.0.0.1:2",
                                placement="round-robin")._replicas.uses_keys()


class FakeDns:
    def __init__(self, addresses):
        self.addresses = addresses
        self.lookups = 0
        self.now = 1000.0

    def resolve(self, target):
        assert target == "dns:///neurofeat-headless.test:50051"
        self.lookups += 1
        return list(self.addresses)

    def clock(self):
        return self.now


class FakeChannel:
    def close(self):
        pass


def test_a_dns_target_is_resolved_again_so_a_scaled_set_is_picked_up():
    dns = FakeDns([A, B])
    replicas = _replicas.Replicas("dns:///neurofeat-headless.test:50051",
                                  lambda address: (FakeChannel(), address),
                                  resolver=dns.resolve, clock=dns.clock)

    def first(key):
        return replicas.order(key)[0].target

    assert dns.lookups == 1
    assert first(EDF_KEY) == B
    dns.addresses = [A, B, C]
    dns.now += 9.99
    assert first(EDF_KEY) == B and dns.lookups == 1
    dns.now += 0.01
    assert first(EDF_KEY) == C and dns.lookups == 2
    # Scaled down: C unreachable, so its keys go to their next replica at once
    # and the list is resolved again within a second.
    dns.addresses = [A, B]
    replicas.mark_unreachable(replicas.order(EDF_KEY)[0])
    assert [r.target for r in replicas.order(EDF_KEY)] == [B, A, C]
    assert dns.lookups == 2
    dns.now += 1.0
    assert [r.target for r in replicas.order(EDF_KEY)] == [B, A]
    assert dns.lookups == 3


def write_dataset(root, n, windows=128):
    """n different how-to recordings (the windows rotated) under `root`."""
    x = np.load(os.path.join(DATA, "eegdash", "howto_X_rows.npy"))[:windows]
    os.makedirs(root, exist_ok=True)
    paths = []
    for i in range(n):
        path = os.path.join(root, f"rec{i}.npy")
        np.save(path, np.roll(x, i, axis=0))
        paths.append(path)
    return paths


def counters(servers, name):
    return [s.metric(name) or 0.0 for s in servers]


def deltas(after, before):
    return [a - b for a, b in zip(after, before)]


def three_servers(make_server, tmp_path, n=12):
    """Three servers, each with its own cache, and the same n recordings under
    each one's data root; the target naming all three."""
    paths = write_dataset(str(tmp_path / "recordings"), n)
    servers = [make_server() for _ in range(3)]
    for s in servers:
        for path in paths:
            shutil.copy(path, s.data_root)
    return servers, ",".join(s.target for s in servers)


def server_paths(n):
    return [neurofeat.Recording(neurofeat.ServerPath(f"rec{i}.npy"), name=f"rec{i}")
            for i in range(n)]


def test_a_rerun_finds_every_recording_in_the_cache_of_its_replica(make_server, tmp_path):
    servers, target = three_servers(make_server, tmp_path)
    arrays = [neurofeat.Recording(np.load(tmp_path / "recordings" / f"rec{i}.npy"),
                                  name=f"arr{i}") for i in range(6)]
    runs = []
    with neurofeat.Client(target) as client:
        for _ in range(2):
            hits, misses = counters(servers, FEATURE_HITS), counters(servers, FEATURE_MISSES)
            extracts = counters(servers, EXTRACTS)
            df = client.extract_dataset(server_paths(12) + arrays, HOWTO_PIPELINE, sfreq=128,
                                        ch_names=HOWTO_CHANNELS, progress=False)
            runs.append((df, deltas(counters(servers, FEATURE_HITS), hits),
                         deltas(counters(servers, FEATURE_MISSES), misses),
                         deltas(counters(servers, EXTRACTS), extracts)))
    (cold, _, cold_misses, cold_served), (warm, warm_hits, warm_misses, warm_served) = runs
    assert warm.equals(cold)
    assert sum(cold_served) == 18 and all(n >= 1 for n in cold_served), cold_served
    # Each recording went to the same replica again, and found its results.
    assert warm_served == cold_served
    assert sum(warm_misses) == 0 and warm_hits == cold_misses
    print("recordings per replica:", cold_served)


def test_the_python_client_places_a_recording_where_the_cli_does(make_server, tmp_path):
    servers, target = three_servers(make_server, tmp_path)
    before = counters(servers, EXTRACTS)
    with neurofeat.Client(target) as client:
        for i in range(12):
            client.extract(neurofeat.ServerPath(f"rec{i}.npy"), HOWTO_PIPELINE, sfreq=128,
                           ch_names=HOWTO_CHANNELS)
    python = deltas(counters(servers, EXTRACTS), before)
    misses = counters(servers, FEATURE_MISSES)
    with open(tmp_path / "manifest.csv", "w") as f:
        f.write("remote_path\n" + "".join(f"rec{i}.npy\n" for i in range(12)))
    code, output = cli("extract", "--manifest", str(tmp_path / "manifest.csv"), "--fs", "128",
                       "--channels", ",".join(HOWTO_CHANNELS), "--pipeline", HOWTO_PIPELINE,
                       "--output", str(tmp_path / "t.csv"), "--server", target, "--quiet")
    assert code == 0, output
    assert deltas(counters(servers, EXTRACTS), before) == [2 * n for n in python]
    # ...so the CLI's requests all found the Python client's results.
    assert counters(servers, FEATURE_MISSES) == misses


def test_a_local_file_is_uploaded_to_the_replica_that_extracts_it(make_server, tmp_path):
    paths = write_dataset(str(tmp_path), 6, windows=16)
    servers = [make_server() for _ in range(3)]
    with neurofeat.Client(",".join(s.target for s in servers)) as client:
        for path in paths:
            df = client.extract(neurofeat.LocalFile(path), HOWTO_PIPELINE, sfreq=128,
                                ch_names=HOWTO_CHANNELS)
            assert len(df) == 16
    served = counters(servers, EXTRACTS)
    assert sum(served) == 6 and max(served) < 6, served


def test_a_dead_replica_hands_its_recordings_to_the_next(make_server, tmp_path):
    servers, target = three_servers(make_server, tmp_path)
    with neurofeat.Client(target, retry_budget=30) as client:
        want = client.extract_dataset(server_paths(12), HOWTO_PIPELINE, sfreq=128,
                                      ch_names=HOWTO_CHANNELS, progress=False)
        held = counters(servers, EXTRACTS)
        lookups = sum(counters(servers, FEATURE_MISSES)) / 12  # per recording
        servers[1].kill()
        alive = [servers[0], servers[2]]
        hits, misses = counters(alive, FEATURE_HITS), counters(alive, FEATURE_MISSES)
        got = client.extract_dataset(server_paths(12), HOWTO_PIPELINE, sfreq=128,
                                     ch_names=HOWTO_CHANNELS, progress=False)
    assert got.equals(want)
    assert sum(counters(alive, EXTRACTS)) == held[0] + held[2] + 12
    # The survivors found their own recordings again and computed the dead
    # one's.
    assert sum(deltas(counters(alive, FEATURE_HITS), hits)) == (held[0] + held[2]) * lookups
    assert sum(deltas(counters(alive, FEATURE_MISSES), misses)) == held[1] * lookups
