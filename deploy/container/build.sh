#!/usr/bin/env bash
# Builds the neurofeatd image without any registry:
#  1. a Debian 12 (bookworm) minbase root filesystem with mmdebstrap, from
#     the Debian mirror, imported as localhost/neurofeat-base:bookworm
#     (skipped when that image exists; NEUROFEAT_REBASE=1 forces it);
#  2. podman build --pull=never --isolation=chroot on it (the two-stage
#     Dockerfile beside this script), tagged localhost/neurofeat:VERSION.
# Runs as root (podman rootful). The default OCI runtime and the bridge
# network do not work on every machine: builds use the host network, and
# run.sh starts containers with --runtime runc --network=host.
#   bash deploy/container/build.sh [TAG]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${1:-localhost/neurofeat:$(sed -n 's/.*kEngineVersion\[\] = "neurofeat \([0-9.]*\)".*/\1/p' "$root/core/version.h")}"
[ "$tag" = "localhost/neurofeat:" ] && tag="localhost/neurofeat:latest"
base=localhost/neurofeat-base:bookworm
mirror="${NEUROFEAT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if [ "${NEUROFEAT_REBASE:-0}" = 1 ] || ! podman image exists "$base"; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "== mmdebstrap bookworm ($mirror)"
  mmdebstrap --variant=minbase --quiet \
    --aptopt='Acquire::Retries "3"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$work/rootfs.tar" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb ${mirror%/debian}/debian-security bookworm-security main"
  podman import --change 'CMD ["/bin/bash"]' "$work/rootfs.tar" "$base" > /dev/null
fi
echo "== podman build $tag"
podman build --pull=never --isolation=chroot --network=host --format docker \
  --ulimit nofile=16384:16384 --build-arg BASE="$base" \
  -f "$root/deploy/container/Dockerfile" -t "$tag" "$root"
podman image inspect --format '{{.Id}} {{.Size}} bytes' "$tag"
