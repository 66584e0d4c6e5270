#!/usr/bin/env bash
# The how-to workload through neurofeatd: cold, warm, changed bands.
#   bash bench/cache_bench.sh            (after bash scripts/build.sh)
# Uses ../shared/golden/eegdash/howto/howto_X.npy, or generates the same kind
# of data (bench/features_bench.py's recipe) when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${NEUROFEAT_BUILD:-build}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/data"
golden="../shared/golden/eegdash/howto/howto_X.npy"
if [ -f "$golden" ]; then
  cp "$golden" "$work/data/howto_X.npy"
else
  /usr/bin/python3 -c "import sys; sys.path.insert(0, 'bench'); import features_bench as f; f.generate('$work/data/howto_X.npy')"
fi
"$BUILD/server/neurofeatd" --listen 127.0.0.1:0 --port-file "$work/port" \
  --metrics-listen 127.0.0.1:0 --metrics-port-file "$work/metrics_port" \
  --data-root "$work/data" --cache-dir "$work/cache" 2> "$work/server.log" &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
"$BUILD/bench/cache_bench" --server "127.0.0.1:$(cat "$work/port")" \
  --metrics-port "$(cat "$work/metrics_port")" --path howto_X.npy
