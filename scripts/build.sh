#!/usr/bin/env bash
# Configures and builds the Release tree in ./build (ccache when present).
#   build.sh          everything: libraries, tools, tests, benchmarks
#   build.sh --demo   only the neurofeat CLI and the neurofeatd server
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Precompiled headers (nf_grpc_pch) are cacheable with these.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
if [ "${1:-}" = "--demo" ]; then
  flags=(-DNEUROFEAT_BUILD_TESTS=OFF -DNEUROFEAT_BUILD_BENCH=OFF)
  targets=(--target neurofeat neurofeatd)
else
  flags=(-DNEUROFEAT_BUILD_TESTS=ON -DNEUROFEAT_BUILD_BENCH=ON)
  targets=()
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${flags[@]}" > build.configure.log 2>&1 ||
  { cat build.configure.log; exit 1; }
cmake --build build -j"$(nproc)" "${targets[@]}"
