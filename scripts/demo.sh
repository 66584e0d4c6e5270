#!/usr/bin/env bash
# The main job on data the project makes itself: install, build, generate a
# 10 s, 384-channel int16 recording at 30 kHz, and preprocess it with
# SpikeInterface's defaults (bandpass 300-6000 Hz, global median reference)
# in 1 s chunks with the embedded engine; extract EEG features from a
# generated EEG recording; then the same jobs through a local neurofeatd
# (result cache, metrics) and a summary of its metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_build_deps.sh
bash scripts/build.sh --demo
out="${NEUROFEAT_DEMO_DIR:-/tmp/neurofeat_demo}"
mkdir -p "$out"
./build/client/cli/neurofeat generate --output "$out/recording.npy" --channels 384 --duration 10s --fs 30000
./build/client/cli/neurofeat preprocess --input "$out/recording.npy" --fs 30000 \
  --pipeline examples/spikeinterface_preprocess.json --output "$out/preprocessed.npy"
# Features: a generated 8-channel, 5-minute recording at 256 Hz, band-passed
# 1-40 Hz, cut into 2 s windows every 1 s, through an EEGDash feature tree.
./build/client/cli/neurofeat generate --output "$out/eeg.npy" --channels 8 --duration 300s \
  --fs 256 --dtype float32
./build/client/cli/neurofeat extract --input "$out/eeg.npy" --fs 256 \
  --channels Fz,Cz,Pz,Oz,C3,C4,O1,O2 --highpass 1 --lowpass 40 \
  --pipeline examples/eeg_features.json --output "$out/features.csv" --include-metadata
head -c 300 "$out/features.csv"; echo " ..."

# The same two jobs through the service: a local neurofeatd on a free
# loopback port with its RocksDB result cache and Prometheus metrics; the
# feature job runs twice (the second time from the cache), then a short
# summary of the server's metrics, and the server is stopped.
mkdir -p "$out/server"
rm -f "$out/server/port" "$out/server/metrics_port"
./build/server/neurofeatd --listen 127.0.0.1:0 --port-file "$out/server/port" \
  --metrics-listen 127.0.0.1:0 --metrics-port-file "$out/server/metrics_port" \
  --data-root "$out" --cache-dir "$out/server/cache" --drain-notice 0s \
  > "$out/server/neurofeatd.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ -s "$out/server/metrics_port" ] && break; sleep 0.05; done
[ -s "$out/server/metrics_port" ] || { cat "$out/server/neurofeatd.log"; exit 1; }
server="127.0.0.1:$(cat "$out/server/port")"
echo "neurofeatd on $server (metrics on port $(cat "$out/server/metrics_port"))"
./build/client/cli/neurofeat preprocess --server "$server" --remote-path recording.npy \
  --fs 30000 --pipeline examples/spikeinterface_preprocess.json \
  --output "$out/preprocessed_remote.npy"
for run in cold warm; do
  ./build/client/cli/neurofeat extract --server "$server" --remote-path eeg.npy --fs 256 \
    --channels Fz,Cz,Pz,Oz,C3,C4,O1,O2 --highpass 1 --lowpass 40 \
    --pipeline examples/eeg_features.json --output "$out/features_$run.csv" --include-metadata
done
for run in cold warm; do
  if ! cmp -s "$out/features.csv" "$out/features_$run.csv"; then
    echo "the server's $run table differs from the embedded one" >&2
    exit 1
  fi
done
echo "server tables (cold and cached) equal the embedded one, byte for byte"
/usr/bin/python3 - "http://127.0.0.1:$(cat "$out/server/metrics_port")/metrics" <<'PY'
import re, sys, urllib.request
values = []
for line in urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().splitlines():
    m = re.match(r"^([a-z_:]+)(\{[^}]*\})? ([0-9.eE+-]+)$", line.strip())
    if m:
        values.append((m.group(1), m.group(2) or "", float(m.group(3))))
def total(name, *where):
    return sum(v for n, labels, v in values if n == name and all(w in labels for w in where))
requests = total("neurofeat_requests_total")
ok = total("neurofeat_requests_total", 'code="OK"')
seconds = total("neurofeat_request_duration_seconds_sum")
samples = total("neurofeat_processed_samples_total")
print("metrics summary:")
print("  requests: %d (Extract %d, Preprocess %d), %d failed" % (
    requests, total("neurofeat_requests_total", 'rpc="Extract"'),
    total("neurofeat_requests_total", 'rpc="Preprocess"'), requests - ok))
print("  samples processed: %.3g in %.2f s of requests (%.3g samples/s)" % (
    samples, seconds, samples / max(seconds, 1e-9)))
for level in ("spectra", "features"):
    print("  cache %s: %d hits of %d lookups" % (
        level, total("neurofeat_cache_lookups_total", 'level="%s"' % level, 'result="hit"'),
        total("neurofeat_cache_lookups_total", 'level="%s"' % level)))
print("  resident memory: %.0f MiB (budget %.0f MiB)" % (
    total("process_resident_memory_bytes") / 2**20,
    total("neurofeat_memory_budget_bytes") / 2**20))
PY
kill -TERM "$server_pid"
wait "$server_pid" && echo "neurofeatd stopped"
trap - EXIT
