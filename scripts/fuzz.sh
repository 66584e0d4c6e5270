#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz and runs
# each for SECONDS (default 60: the smoke run) on a copy of its committed
# corpus; new crashes are written to tests/fuzz/crashes/<target>/ and the
# script fails. Figures (executions, coverage) go to build-fuzz/fuzz-*.log.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(npy_fuzz edf_fuzz spikeglx_meta_fuzz oebin_fuzz pipeline_json_fuzz request_fuzz
    openephys_settings_fuzz)
fi
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEUROFEAT_SANITIZE=fuzzer \
  -DNEUROFEAT_BUILD_BENCH=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  > build-fuzz.configure.log 2>&1 || { cat build-fuzz.configure.log; exit 1; }
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
failed=0
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$t/." "$work/"
  mkdir -p "tests/fuzz/crashes/$t"
  echo "== $t: ${seconds} s"
  if ! build-fuzz/tests/fuzz/"$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
      -print_final_stats=1 -artifact_prefix="tests/fuzz/crashes/$t/" "$work" \
      > "build-fuzz/fuzz-$t.log" 2>&1; then
    failed=1
    tail -40 "build-fuzz/fuzz-$t.log"
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov: " "build-fuzz/fuzz-$t.log" \
    | tail -3
  rm -rf "$work"
  rmdir "tests/fuzz/crashes/$t" 2>/dev/null || true
done
exit $failed
