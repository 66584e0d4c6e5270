#!/usr/bin/env bash
# The container image: builds it with deploy/container/build.sh, starts it
# (runc, host network, explicit ulimits, read-only root, no capabilities)
# with neurofeatd on free loopback ports, checks health SERVING and one
# extract against the embedded engine, then stops it with SIGTERM and
# expects exit 0. Installs podman, buildah, mmdebstrap and runc from Debian
# if missing; a build from nothing takes about 6 minutes on 2 cores (base
# filesystem, packages, compile). Where podman cannot run at all (not root,
# no packages, `podman info` fails), it says so in one line and stops.
#   bash container_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$(cd "${1:?source dir}" && pwd)"
build="$(cd "${2:?build dir}" && pwd)"
cannot() { echo "container test not run: $* (README, Deploy: the manual run)"; exit 0; }
[ "$(id -u)" -eq 0 ] || cannot "podman builds here run rootful and this is not root"
if ! command -v podman > /dev/null || ! command -v mmdebstrap > /dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    podman buildah mmdebstrap runc uidmap > /dev/null 2>&1 \
    || cannot "podman and mmdebstrap could not be installed"
fi
podman info > /dev/null 2>&1 || cannot "podman cannot run on this machine ($(podman info 2>&1 | tail -1))"
bash "$src/deploy/container/build.sh" localhost/neurofeat:test
t=$(mktemp -d)
name="neurofeat-test-$$"
cleanup() { podman rm -f "$name" > /dev/null 2>&1 || true; rm -rf "$t"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
mport=$(free_port)
mkdir -p "$t/data"
cp "$src/tests/data/eegdash/howto_X_rows.npy" "$t/data/howto.npy"
chmod -R a+rX "$t"
podman run -d --name "$name" --runtime runc --network=host \
  --ulimit nofile=16384:16384 --ulimit nproc=4096:4096 \
  --read-only --tmpfs /tmp --tmpfs /var/cache/neurofeat:rw,mode=1777 \
  --cap-drop=ALL --security-opt no-new-privileges -e NEUROFEAT_HEALTH_PORT="$port" \
  -v "$t/data:/data:ro" localhost/neurofeat:test \
  --listen="127.0.0.1:$port" --metrics-listen="127.0.0.1:$mport" --data-root=/data \
  --cache-dir=/var/cache/neurofeat --upload-dir=/tmp/uploads --drain-notice=1s > /dev/null
status=""
for _ in $(seq 100); do
  status=$("$build/client/cli/neurofeat" health --server "127.0.0.1:$port" 2>/dev/null || true)
  [ "$status" = SERVING ] && break
  sleep 0.2
done
if [ "$status" != SERVING ]; then
  echo "the container did not serve: $status" >&2
  podman logs "$name" >&2
  exit 1
fi
echo "health: $status"
# The image's own health check (the CLI inside it) agrees.
if ! podman healthcheck run "$name" 2> /dev/null; then
  echo "the image's HEALTHCHECK says unhealthy" >&2
  exit 1
fi
echo "image HEALTHCHECK: healthy"
flags=(--fs 128 --channels O1,Oz,O2,Cz,Pz,POz --highpass 1 --lowpass 40
       --pipeline "$src/examples/eegdash_howto.json" --quiet)
"$build/client/cli/neurofeat" extract --server "127.0.0.1:$port" --remote-path howto.npy \
  "${flags[@]}" --output "$t/container.csv"
"$build/client/cli/neurofeat" extract --input "$t/data/howto.npy" "${flags[@]}" --no-cache \
  --output "$t/embedded.csv"
cmp "$t/container.csv" "$t/embedded.csv"
echo "extract in the container: $(($(wc -l < "$t/container.csv") - 1)) rows, equal to the embedded engine's"
podman inspect --format 'user={{.Config.User}} entrypoint={{.Config.Entrypoint}}' "$name"
podman stop --time 30 "$name" > /dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
podman logs "$name" 2>&1 | tail -3
if [ "$code" -ne 0 ]; then
  echo "neurofeatd in the container exited $code on SIGTERM" >&2
  exit 1
fi
echo "SIGTERM -> exit 0"
