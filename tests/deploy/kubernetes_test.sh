#!/usr/bin/env bash
# deploy/kubernetes: every overlay renders with kubectl kustomize, every
# rendered object type-checks against Kubernetes 1.30 (kubernetes-types +
# TypeScript strict) and passes kubernetes-models validation; deliberately
# broken manifests fail the same check; and neurofeatd accepts the
# container arguments of each rendered StatefulSet (started with them on
# loopback, asked for health, stopped with SIGTERM).
#   bash kubernetes_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$(cd "${1:?source dir}" && pwd)"
build="$(cd "${2:?build dir}" && pwd)"
check="$src/deploy/kubernetes/check"
if [ ! -d "$check/node_modules/kubernetes-types" ]; then
  echo "npm packages missing: run scripts/install_deps.sh (npm ci in deploy/kubernetes/check)" >&2
  exit 1
fi
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# An overlay with the optional ServiceMonitor component on (kustomize wants
# relative paths: beside a copy of the tree, without its node_modules).
mkdir -p "$work/k8s/overlays/monitored"
cp -r "$src/deploy/kubernetes/base" "$src/deploy/kubernetes/overlays" \
  "$src/deploy/kubernetes/components" "$work/k8s/"
cat > "$work/k8s/overlays/monitored/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: ["../production"]
components: ["../../components/servicemonitor"]
YAML
for overlay in dev production; do
  kubectl kustomize "$src/deploy/kubernetes/overlays/$overlay" > "$work/$overlay.yaml"
done
kubectl kustomize "$work/k8s/overlays/monitored" > "$work/monitored.yaml"
grep -q "kind: ServiceMonitor" "$work/monitored.yaml"

for overlay in dev production monitored; do
  echo "== $overlay"
  node "$check/check-manifests.cjs" "$work/$overlay.yaml"
done

# The check must be able to fail: each broken manifest, with what must be said.
declare -A expect=(
  [unknown_field]="'\"resource\"' does not exist in type 'Container'"
  [string_replicas]="replicas must be integer"
  [probe_without_port]="Property 'port' is missing"
)
for name in "${!expect[@]}"; do
  if node "$check/check-manifests.cjs" "$src/tests/deploy/k8s_broken/$name.yaml" \
      > "$work/$name.log" 2>&1; then
    echo "broken manifest $name passed the check" >&2
    exit 1
  fi
  if ! grep -qF "${expect[$name]}" "$work/$name.log"; then
    echo "broken manifest $name failed without naming the fault:" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
  echo "broken $name: rejected"
done

# The rendered container arguments, run for real (addresses on loopback,
# directories in the temporary folder).
for overlay in dev production; do
  /usr/bin/python3 - "$work/$overlay.yaml" "$work/$overlay" > "$work/$overlay.args" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ss = next(d for d in docs if d["kind"] == "StatefulSet")
pod = ss["spec"]["template"]["spec"]
c = pod["containers"][0]
args = c["args"]
flags = dict(a[2:].split("=", 1) for a in args)
grace = int(flags["grace-period"].rstrip("s")) + int(flags["drain-notice"].rstrip("s"))
if pod["terminationGracePeriodSeconds"] <= grace:
    sys.exit(f"terminationGracePeriodSeconds {pod['terminationGracePeriodSeconds']} <= {grace}")
for p in ("livenessProbe", "readinessProbe", "startupProbe"):
    if c[p]["grpc"]["port"] != int(flags["listen"].rsplit(":", 1)[1]):
        sys.exit(f"{p} does not probe the --listen port")
local = {"listen": "127.0.0.1:0", "metrics-listen": "127.0.0.1:0"}
for a in args:
    k, v = a[2:].split("=", 1)
    if k in local:
        v = local[k]
    elif k in ("data-root", "cache-dir", "upload-dir"):
        v = f"{sys.argv[2]}/{k}"
    print(f"--{k}={v}")
PY
  mkdir -p "$work/$overlay/data-root"
  mapfile -t args < "$work/$overlay.args"
  "$build/server/neurofeatd" "${args[@]}" --port-file "$work/$overlay.port" \
    > "$work/$overlay.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do [ -s "$work/$overlay.port" ] && break; sleep 0.05; done
  if [ ! -s "$work/$overlay.port" ]; then
    echo "neurofeatd did not start with the $overlay arguments: ${args[*]}" >&2
    cat "$work/$overlay.log" >&2
    exit 1
  fi
  "$build/client/cli/neurofeat" health --server "127.0.0.1:$(cat "$work/$overlay.port")"
  kill -TERM "$server_pid"
  rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  if [ "$rc" -ne 0 ]; then
    echo "neurofeatd ($overlay arguments) exited $rc on SIGTERM" >&2
    cat "$work/$overlay.log" >&2
    exit 1
  fi
  echo "$overlay: neurofeatd accepted ${args[*]}; health answered; SIGTERM -> exit 0"
done
