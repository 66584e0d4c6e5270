#!/usr/bin/env bash
# deploy/slurm on a real single-node Slurm: installs slurmctld, slurmd,
# slurm-client and munge (Debian) if missing, starts munged, slurmctld and
# slurmd on this host with a configuration in a temporary folder
# (proctrack/linuxproc, task/affinity, select/cons_tres with CR_Core), runs
# the server job and a 2-task extract array over a 4-recording manifest
# (sbatch --wait), merges the parts, and checks that the table equals the
# embedded engine's and that the server took its threads from Slurm. The
# daemons are stopped by PID.
#   bash slurm_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$(cd "${1:?source dir}" && pwd)"
build="$(cd "${2:?build dir}" && pwd)"
if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge > /dev/null
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "the Slurm test starts slurmd, which must run as root" >&2
  exit 1
fi
t=$(mktemp -d /tmp/nf-slurm.XXXXXX)
chmod 755 "$t"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$t"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# munge with its own key and socket.
mkdir -p "$t/munge"
chmod 700 "$t/munge"
dd if=/dev/urandom of="$t/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$t/munge/munge.key"
munged --key-file="$t/munge/munge.key" --socket="$t/munge/munge.sock" \
  --pid-file="$t/munge/munged.pid" --log-file="$t/munge/munged.log" \
  --seed-file="$t/munge/munged.seed" --force
for _ in $(seq 50); do [ -s "$t/munge/munged.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$t/munge/munged.pid")")

node="$(hostname -s)"
cpus="$(nproc)"
mkdir -p "$t/state" "$t/spool"
cat > "$t/slurm.conf" <<CONF
ClusterName=neurofeattest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$t/munge/munge.sock
StateSaveLocation=$t/state
SlurmdSpoolDir=$t/spool
SlurmctldPidFile=$t/slurmctld.pid
SlurmdPidFile=$t/slurmd.pid
SlurmctldLogFile=$t/slurmctld.log
SlurmdLogFile=$t/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=4096 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$t/slurm.conf"
slurmctld -D -f "$SLURM_CONF" > "$t/slurmctld.out" 2>&1 &
pids+=("$!")
slurmd -D -f "$SLURM_CONF" > "$t/slurmd.out" 2>&1 &
pids+=("$!")
ready=0
for _ in $(seq 150); do
  if sinfo -h -o "%T" 2>/dev/null | grep -qE "^idle"; then ready=1; break; fi
  sleep 0.2
done
if [ "$ready" -ne 1 ]; then
  echo "Slurm did not come up"; sinfo || true; tail -20 "$t/slurmctld.log" "$t/slurmd.log"; exit 1
fi
echo "slurm up: $(sinfo -h -o '%P %D %c %T')"

# Four recordings (the how-to windows in blocks of 32), a manifest over them.
mkdir -p "$t/data" "$t/out"
/usr/bin/python3 - "$src/tests/data/eegdash/howto_X_rows.npy" "$t/data" <<'PY'
import sys, numpy as np
x = np.load(sys.argv[1])
rows = ["remote_path,subject"]
for i in range(4):
    np.save(f"{sys.argv[2]}/rec{i}.npy", x[32 * i:32 * (i + 1)])
    rows.append(f"rec{i}.npy,{i + 1:02d}")
open(f"{sys.argv[2]}/../manifest.csv", "w").write("\n".join(rows) + "\n")
open(f"{sys.argv[2]}/../local.csv", "w").write(
    "\n".join(["input,subject"] + [f"{sys.argv[2]}/rec{i}.npy,{i + 1:02d}" for i in range(4)]) + "\n")
PY
flags="--fs 128 --channels O1,Oz,O2,Cz,Pz,POz --highpass 1 --lowpass 40"
pipeline="$src/tests/data/eegdash/howto_pipeline.json"
export NEUROFEAT_BIN="$build/server"
export NEUROFEAT_DATA_ROOT="$t/data" NEUROFEAT_ADDRESS_FILE="$t/out/server.address"
export NEUROFEAT_CACHE_DIR="$t/cache" NEUROFEAT_LISTEN_HOST=127.0.0.1 NEUROFEAT_ADVERTISE_HOST=127.0.0.1
export NEUROFEATD_ARGS="--drain-notice 0s"
server_job=$(sbatch --parsable --export=ALL --cpus-per-task=1 --mem=1G --time=10 \
  --output="$t/out/server-%j.out" "$src/deploy/slurm/neurofeat-server.sbatch")
export NEUROFEAT_BIN="$build/client/cli"
export NEUROFEAT_MANIFEST="$t/manifest.csv" NEUROFEAT_PIPELINE="$pipeline" NEUROFEAT_OUT_DIR="$t/out"
export NEUROFEAT_EXTRACT_ARGS="$flags" NEUROFEAT_WAIT=120
if ! timeout 300 sbatch --wait --export=ALL --array=0-1 --cpus-per-task=1 --mem=512M --time=10 \
    --output="$t/out/extract-%A_%a.out" "$src/deploy/slurm/neurofeat-extract-array.sbatch"; then
  echo "the extract array failed"; cat "$t"/out/*.out; exit 1
fi
if ! NEUROFEAT_PARTS=2 NEUROFEAT_SERVER_JOB="$server_job" timeout 120 sbatch --wait --export=ALL \
    --cpus-per-task=1 --mem=256M --time=5 --output="$t/out/merge-%j.out" \
    "$src/deploy/slurm/neurofeat-merge.sbatch"; then
  echo "the merge failed"; cat "$t"/out/*.out; exit 1
fi
cat "$t"/out/merge-*.out
# The server job ends (scancelled by the merge) and says what it decided.
for _ in $(seq 100); do
  squeue -h -j "$server_job" 2>/dev/null | grep -q . || break
  sleep 0.2
done
server_out="$(cat "$t/out/server-$server_job.out")"
echo "$server_out" | head -4
if ! echo "$server_out" | grep -q "cpu threads=1 (decided by slurm"; then
  echo "the server did not take its threads from Slurm" >&2
  exit 1
fi
echo "$server_out" | grep -q "memory budget=.*slurm=1024MiB" \
  || { echo "the server did not see SLURM_MEM_PER_NODE" >&2; exit 1; }

# The embedded engine on the same recordings.
# shellcheck disable=SC2086
"$build/client/cli/neurofeat" extract --manifest "$t/local.csv" $flags --pipeline "$pipeline" \
  --no-cache --output "$t/embedded.csv" --quiet
cut -d, -f2- "$t/out/features.csv" > "$t/slurm.rows"
cut -d, -f2- "$t/embedded.csv" > "$t/embedded.rows"
if ! cmp -s "$t/slurm.rows" "$t/embedded.rows"; then
  echo "the Slurm table differs from the embedded one" >&2
  diff <(head -c 2000 "$t/slurm.rows") <(head -c 2000 "$t/embedded.rows") || true
  exit 1
fi
echo "Slurm table ($(($(wc -l < "$t/out/features.csv") - 1)) rows) equals the embedded engine's"
