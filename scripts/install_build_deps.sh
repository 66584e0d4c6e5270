#!/usr/bin/env bash
# Installs what building and running neurofeat and neurofeatd needs, from
# Debian 12's apt repositories, and nothing more (the demo's first step).
# scripts/install_deps.sh adds the test, benchmark and deploy tooling.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config ccache \
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto \
  libabsl-dev libfftw3-dev libtbb-dev librocksdb-dev prometheus-cpp-dev libhwy-dev libssl-dev \
  libmatio-dev libhdf5-dev zlib1g-dev libdeflate-dev \
  python3 \
  > /dev/null
