#!/usr/bin/env bash
# The mixed memory scenario (loadtest/scenarios/memory.json: 3 Preprocess,
# 3 Extract, 3 CSP Fit, closed loop, round robin) against a local neurofeatd
# under --memory-budget 512MiB --threads 2, once per allocator variant, in one
# run on this machine:
#   glibc     the server as built (one malloc arena per compute thread; mmap
#             threshold fixed at 1 MiB; at rest, 1 s after the last
#             request, the buffer pool is emptied and malloc_trim(0) runs)
#   keep      the same server with glibc's defaults (8 arenas per core,
#             dynamic mmap threshold, no trim at rest): --keep-memory-at-rest
#             --malloc-arenas 0 --malloc-mmap-threshold 0
#   trim      glibc's defaults but the trim at rest
#   mmapdyn   as built, with glibc's dynamic mmap threshold
#   arenas0   trim at rest with glibc's default arena count (--malloc-arenas 0)
#   arenas4   trim at rest with 4 arenas (--malloc-arenas 4)
#   mmap1m    glibc's mmap threshold fixed at 1 MiB through GLIBC_TUNABLES
#             (what the server sets itself; for builds without the flag)
#   jemalloc  the same server with Debian's libjemalloc2 preloaded
#   tcmalloc  the same server with Debian's libtcmalloc-minimal4 preloaded
#   BASE      (optional) another build's neurofeatd, e.g. one from before
#             Fit was admitted, with glibc
# For each: answers per second, peak RSS over the RSS at start against the
# budget, RSS 5 s after the last answer over the start (neurofeat-load
# --server-pid). The variants alternate for ROUNDS rounds.
#   [VARIANTS="glibc keep"] bash bench/memory_load_bench.sh [BUILD_DIR] [ROUNDS] [DURATION] [BASE_BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
rounds="${2:-1}"
duration="${3:-60s}"
base_build="${4:-}"
load="$build/loadtest/neurofeat-load"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/data"
"$load" --make-memory-data "$work/data" > /dev/null

lib=/usr/lib/x86_64-linux-gnu
variants=(glibc keep)
[ -e "$lib/libjemalloc.so.2" ] && variants+=(jemalloc)
[ -e "$lib/libtcmalloc_minimal.so.4" ] && variants+=(tcmalloc)
[ -n "$base_build" ] && variants+=(base)
# VARIANTS="glibc keep" runs only those.
[ -n "${VARIANTS:-}" ] && read -r -a variants <<< "$VARIANTS"

run() {
  local variant="$1" server="$build/server/neurofeatd" preload="" flags=() tunables=""
  case "$variant" in
    keep) flags=(--keep-memory-at-rest --malloc-arenas 0 --malloc-mmap-threshold 0) ;;
    trim) flags=(--malloc-arenas 0 --malloc-mmap-threshold 0) ;;
    mmapdyn) flags=(--malloc-mmap-threshold 0) ;;
    arenas0) flags=(--malloc-arenas 0) ;;
    arenas4) flags=(--malloc-arenas 4) ;;
    mmap1m) tunables="glibc.malloc.mmap_threshold=1048576" ;;
    jemalloc) preload="$lib/libjemalloc.so.2" ;;
    tcmalloc) preload="$lib/libtcmalloc_minimal.so.4" ;;
    base) server="$base_build/server/neurofeatd" ;;
  esac
  rm -f "$work/port"
  LD_PRELOAD="$preload" GLIBC_TUNABLES="$tunables" "$server" --listen 127.0.0.1:0 --port-file "$work/port" \
    --data-root "$work/data" --no-cache --memory-budget 512MiB --threads 2 \
    --drain-notice 0s "${flags[@]}" > "$work/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 500); do [ -s "$work/port" ] && break; sleep 0.02; done
  [ -s "$work/port" ] || { echo "server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
  "$load" --server "127.0.0.1:$(cat "$work/port")" \
    --scenario "$root/loadtest/scenarios/memory.json" --duration "$duration" \
    --server-pid "$pid" > "$work/out.txt" 2>&1 || { cat "$work/out.txt" >&2; exit 1; }
  kill -TERM "$pid"
  wait "$pid" || true
  # "sent N in S s: X ok/s (Y answered/s)" and "server RSS: ... (+P MiB over
  # start; ...), ... (+I MiB)".
  local rate peak idle codes
  rate=$(sed -n 's/^sent .*: \([0-9.]*\) ok\/s.*/\1/p' "$work/out.txt")
  peak=$(sed -n 's/.*(+\([0-9]*\) MiB over start.*/\1/p' "$work/out.txt")
  idle=$(sed -n 's/.*after the last answer.*(+\([-0-9]*\) MiB)$/\1/p' "$work/out.txt")
  codes=$(sed -n 's/^codes: *//p' "$work/out.txt")
  printf "%-9s ok/s %6s  peak over start %5s MiB (budget 512)  5 s after %5s MiB over start  %s\n" \
    "$variant" "${rate:-?}" "${peak:-?}" "${idle:-?}" "$codes"
  cp "$work/out.txt" "$work/out-$variant.txt"
}

echo "scenario memory.json, $duration per run, budget 512 MiB, 2 threads, $rounds round(s)"
for r in $(seq "$rounds"); do
  for v in "${variants[@]}"; do run "$v"; done
done
echo "--- last glibc run in full"
cat "$work/out-glibc.txt"
