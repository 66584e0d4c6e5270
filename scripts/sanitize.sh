#!/usr/bin/env bash
# Builds and runs the test suite under a sanitizer, in its own build tree.
#   bash scripts/sanitize.sh thread   # ThreadSanitizer (clang): the server, the
#                                     # integration and fault tests (ctest -L server)
#   bash scripts/sanitize.sh address  # AddressSanitizer + UBSan (gcc): the whole suite
# Extra arguments go to ctest. Timings are in tests/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:?usage: sanitize.sh thread|address [ctest args]}"
shift
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
case "$mode" in
  thread)
    dir=build-tsan
    compilers=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
    # The server, integration and fault tests; not the overload test, which
    # measures capacity and latency for 60 s (20x slower under TSan).
    labels=(-L server -E Overload)
    # Races inside the Debian libraries (built without TSan) are theirs.
    # Reports of every process (the servers the tests start too) go to files.
    export NF_SANITIZER=thread
    export TSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/tsan.supp halt_on_error=1 second_deadlock_stack=1 log_path=$PWD/build-tsan/tsan-report ${TSAN_OPTIONS:-}"
    ;;
  address)
    dir=build-asan
    compilers=()
    # The whole suite but the overload test, which measures capacity and
    # latency (meaningless at ASan's speed), as the TSan run does.
    labels=(-E Overload)
    export NF_SANITIZER=address
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$PWD/build-asan/asan-report:${ASAN_OPTIONS:-}"
    # print_suppressions=0: a matched suppression is not a report (no file).
    export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
    ;;
  *) echo "unknown mode $mode (thread|address)" >&2; exit 2 ;;
esac
rm -f "$PWD/$dir"/tsan-report.* "$PWD/$dir"/asan-report.*
start=$(date +%s)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEUROFEAT_SANITIZE="$mode" \
  -DNEUROFEAT_BUILD_BENCH=OFF "${compilers[@]}" > "$dir.configure.log" 2>&1 \
  || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j"$(nproc)"
built=$(date +%s)
status=0
(cd "$dir" && ctest --output-on-failure -j"$(nproc)" --timeout 1800 "${labels[@]}" "$@") || status=1
end=$(date +%s)
reports=$(ls "$dir"/*-report.* 2>/dev/null || true)
if [ -n "$reports" ]; then
  echo "== sanitizer reports:"
  cat $reports
  status=1
fi
echo "sanitize.sh $mode: build $((built - start)) s, tests $((end - built)) s, exit $status"
exit $status
