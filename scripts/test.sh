#!/usr/bin/env bash
# Installs, builds and runs the whole test suite, except the container
# image test (label "container": it builds the image from nothing, about
# 15 minutes; run it with `cd build && ctest -L container`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900 -LE container
