#!/usr/bin/env bash
# Remote preprocess against its two bounds, in one run: a 20 s x 384 int16
# recording in a local neurofeatd's data root, SpikeInterface's chain
# (bandpass 300-6000 Hz + global median reference, int16 out), three ways
# alternating for ROUNDS rounds:
#   embedded   neurofeat preprocess --input (in-process, 2 threads)
#   remote     neurofeat preprocess --server --remote-path (computed by the
#              server, streamed back)
#   transport  the same request with an empty pipeline: the same 46 MB
#              read and streamed back with nothing computed (what gRPC and
#              the writer cost alone)
# Prints each side's median and the median over rounds of
# min(embedded, transport) / remote (the target is at least 0.90), and
# the CPU seconds each side spent (client + server, from getrusage and the
# server's /proc/PID/stat): client and server share this machine's cores, so
# a side cannot finish before its CPU seconds / cores.
#   bash bench/remote_preprocess_bench.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
rounds="${2:-7}"
cli="$build/client/cli/neurofeat"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/data"
"$cli" generate --output "$work/data/rec.npy" --duration 20s > /dev/null
echo '{"preprocess": []}' > "$work/identity.json"
"$build/server/neurofeatd" --listen 127.0.0.1:0 --port-file "$work/port" --data-root "$work/data" \
  --no-cache --drain-notice 0s > "$work/server.log" 2>&1 &
for _ in $(seq 300); do [ -s "$work/port" ] && break; sleep 0.02; done
server="127.0.0.1:$(cat "$work/port")"
server_pid=$!
ticks=$(getconf CLK_TCK)
server_cpu() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

seconds() {  # prints "wall cpu": cpu = the client's user + sys + the server's
  local t0 t1 s0 s1
  s0=$(server_cpu)
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$work/rusage" "$@" > /dev/null 2>&1 ||
    { echo "failed: $*" >&2; exit 1; }
  t1=$(date +%s.%N)
  s1=$(server_cpu)
  read -r u s < "$work/rusage"
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$u + $s + ($s1 - $s0) / $ticks" | bc -l)"
}
run() {
  case "$1" in
    embedded) seconds "$cli" preprocess --input "$work/data/rec.npy" --fs 30000 \
      --pipeline "$root/examples/spikeinterface_preprocess.json" --output "$work/e.npy" \
      --threads 2 --quiet ;;
    remote) seconds "$cli" preprocess --server "$server" --remote-path rec.npy --fs 30000 \
      --pipeline "$root/examples/spikeinterface_preprocess.json" --output "$work/r.npy" --quiet ;;
    transport) seconds "$cli" preprocess --server "$server" --remote-path rec.npy --fs 30000 \
      --pipeline "$work/identity.json" --output "$work/t.npy" --quiet ;;
  esac
}
for side in embedded remote transport; do run "$side" > /dev/null; done  # warm-up
emb=() rem=() tra=()
for _ in $(seq "$rounds"); do
  emb+=("$(run embedded | tr ' ' :)"); rem+=("$(run remote | tr ' ' :)")
  tra+=("$(run transport | tr ' ' :)")
done
cmp -s "$work/e.npy" "$work/r.npy" || { echo "remote output differs from embedded" >&2; exit 1; }
/usr/bin/python3 - "$(nproc)" "${emb[*]}" "${rem[*]}" "${tra[*]}" <<'PY'
import statistics, sys
cores = int(sys.argv[1])
sides = [[tuple(map(float, x.split(":"))) for x in a.split()] for a in sys.argv[2:]]
med = statistics.median
for name, runs in zip(["embedded", "remote", "transport"], sides):
    wall, cpu = [w for w, _ in runs], [c for _, c in runs]
    print(f"{name:9s} median {med(wall):.3f} s wall ({' '.join(f'{x:.3f}' for x in wall)}), "
          f"{med(cpu):.3f} CPU s (bound on {cores} cores: {med(cpu) / cores:.3f} s)")
e, r, t = [[w for w, _ in runs] for runs in sides]
ratios = [min(a, c) / b for a, b, c in zip(e, r, t)]
print(f"min(embedded, transport) / remote per round {' '.join(f'{x:.3f}' for x in ratios)}  "
      f"median {med(ratios):.3f} (target >= 0.90)")
PY
