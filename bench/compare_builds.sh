#!/usr/bin/env bash
# Two builds of neurofeat on the same workloads, alternating, in one run:
# for checking that a change did not slow the engine or the server down.
#   bash bench/compare_builds.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS]
# Workloads (inputs generated or taken from tests/data, into a temp folder):
#   extract     the EEGDash how-to tree over 1920 windows (16 copies of the
#               128 test windows), 2 threads, no cache, embedded
#   preprocess  SpikeInterface's chain (bandpass 300-6000 Hz + median
#               reference) over 10 s x 384 channels int16, embedded, 2 threads
#   remote      the same preprocess through a local neurofeatd (--remote-path)
#   fit         EEGDash's CommonSpatialPattern fitted on the 48 labelled
#               test windows, copied 40 times (1920 windows x 4 channels),
#               embedded
# Prints each side's median seconds and the median of the per-round
# new/old ratios.
set -euo pipefail
old="$(cd "${1:?old build dir}" && pwd)"
new="$(cd "${2:?new build dir}" && pwd)"
rounds="${3:-5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
py=/usr/bin/python3
$py - "$root/tests/data/eegdash/howto_X_rows.npy" "$work/howto.npy" <<'PY'
import sys, numpy as np
x = np.load(sys.argv[1])
np.save(sys.argv[2], np.concatenate([x] * 15))
PY
$py - "$root/tests/data/eegdash/allfeatures_X.npy" "$root/tests/data/eegdash/allfeatures_target.npy" \
  "$work/fit_x.npy" "$work/fit_y.npy" <<'PY'
import sys, numpy as np
np.save(sys.argv[3], np.concatenate([np.load(sys.argv[1])] * 40))
np.save(sys.argv[4], np.concatenate([np.load(sys.argv[2]).astype(np.int64)] * 40))
PY
echo '{"features": [{"name": "csp", "fn": "CommonSpatialPattern"}]}' > "$work/csp.json"
mkdir -p "$work/data"
"$new/client/cli/neurofeat" generate --output "$work/data/rec.npy" --duration 10s > /dev/null

start_server() {  # $1 build dir, $2 name -> port in $work/$2.port
  rm -f "$work/$2.port"
  "$1/server/neurofeatd" --listen 127.0.0.1:0 --port-file "$work/$2.port" --data-root "$work/data" \
    --no-cache --drain-notice 0s > "$work/$2.log" 2>&1 &
  for _ in $(seq 300); do [ -s "$work/$2.port" ] && break; sleep 0.02; done
}
start_server "$old" old
start_server "$new" new

seconds() {  # runs "$@", prints wall seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
run() {  # $1 build, $2 workload, $3 side name
  local cli="$1/client/cli/neurofeat"
  case "$2" in
    extract) seconds "$cli" extract --input "$work/howto.npy" --fs 128 --channels O1,Oz,O2,Cz,Pz,POz \
      --highpass 1 --lowpass 40 --pipeline "$root/examples/eegdash_howto.json" \
      --output "$work/$3.csv" --threads 2 --no-cache --quiet ;;
    preprocess) seconds "$cli" preprocess --input "$work/data/rec.npy" --fs 30000 \
      --pipeline "$root/examples/spikeinterface_preprocess.json" --output "$work/$3.npy" \
      --threads 2 --quiet ;;
    fit) seconds "$cli" fit --input "$work/fit_x.npy" --labels "$work/fit_y.npy" \
      --channels Fz,C3,C4,Pz --pipeline "$work/csp.json" --output "$work/$3_fitted.json" ;;
    remote) seconds "$cli" preprocess --server "127.0.0.1:$(cat "$work/$3.port")" \
      --remote-path rec.npy --fs 30000 --pipeline "$root/examples/spikeinterface_preprocess.json" \
      --output "$work/$3_remote.npy" --quiet ;;
  esac
}
for workload in extract preprocess remote fit; do
  olds=() news=() ratios=()
  run "$old" "$workload" old > /dev/null; run "$new" "$workload" new > /dev/null  # warm-up
  for _ in $(seq "$rounds"); do
    o=$(run "$old" "$workload" old); n=$(run "$new" "$workload" new)
    olds+=("$o"); news+=("$n"); ratios+=("$(echo "$n / $o" | bc -l)")
  done
  $py - "$workload" "${olds[*]}" "${news[*]}" "${ratios[*]}" <<'PY'
import statistics, sys
name, o, n, r = sys.argv[1], *[list(map(float, a.split())) for a in sys.argv[2:]]
print(f"{name:10s} old median {statistics.median(o):.3f} s  new median {statistics.median(n):.3f} s  "
      f"new/old per round {' '.join(f'{x:.3f}' for x in r)}  median {statistics.median(r):.3f}")
PY
done
