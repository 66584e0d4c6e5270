#!/usr/bin/env bash
# Installs every build, test and benchmark dependency from Debian 12's apt
# repositories (and the manifest check's pinned npm packages). Nothing else
# is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_build_deps.sh
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Tests, benchmarks, the references they compare with, the Python client.
$SUDO apt-get install -y -qq --no-install-recommends \
  libgtest-dev libgmock-dev libbenchmark-dev libedf-dev openssl prometheus \
  python3-scipy python3-numpy python3-pandas python3-grpcio python3-protobuf \
  python3-mne python3-tqdm python3-pytest python3-venv python3-pip python3-setuptools \
  python3-yaml python3-h5py python3-sklearn clang \
  > /dev/null
# Operations tooling the deploy/ tests run for real: a single-node Slurm,
# and podman with mmdebstrap for the container image.
$SUDO apt-get install -y -qq --no-install-recommends \
  slurmctld slurmd slurm-client munge podman buildah mmdebstrap runc uidmap \
  > /dev/null
# The Kubernetes manifest check (deploy/kubernetes/check): TypeScript and
# the Kubernetes 1.30 types from npm, versions pinned by its lock file.
if ! command -v npm > /dev/null; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm > /dev/null
fi
(cd deploy/kubernetes/check && npm ci --no-audit --no-fund --loglevel=error)
