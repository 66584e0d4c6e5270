#!/usr/bin/env bash
# Starts the image on this host: host network (neurofeatd on 127.0.0.1
# ports of your choice), recordings read-only at /data, the cache on a
# named volume. Extra arguments go to neurofeatd (they replace the image's
# defaults, so give them all).
#   bash deploy/container/run.sh RECORDINGS_DIR [neurofeatd flags...]
set -euo pipefail
data="$(realpath "${1:?recordings folder}")"
shift
tag="${NEUROFEAT_IMAGE:-localhost/neurofeat:0.1.0}"
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  args=(--listen=127.0.0.1:50051 --metrics-listen=127.0.0.1:9100 --data-root=/data
        --cache-dir=/var/cache/neurofeat --upload-dir=/tmp/neurofeat-uploads)
fi
exec podman run --rm --runtime runc --network=host \
  --ulimit nofile=16384:16384 --ulimit nproc=4096:4096 \
  --read-only --tmpfs /tmp --cap-drop=ALL --security-opt no-new-privileges \
  -v "$data:/data:ro" -v neurofeat-cache:/var/cache/neurofeat \
  "$tag" "${args[@]}"
