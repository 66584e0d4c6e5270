#!/usr/bin/env bash
# Submits the three jobs for one dataset: the server, the extract array
# (N tasks), and the merge once the array succeeded (which then stops the
# server). Prints the job ids.
#   bash deploy/slurm/submit-dataset.sh MANIFEST PIPELINE OUT_DIR TASKS [EXTRACT_FLAGS...]
# With NEUROFEAT_DATA_ROOT (the recordings' folder) set; the other
# NEUROFEAT_* variables of the job scripts pass through.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
manifest="$(realpath "${1:?manifest}")"
pipeline="$(realpath "${2:?pipeline}")"
out="$(realpath -m "${3:?output folder}")"
tasks="${4:?tasks}"
shift 4
: "${NEUROFEAT_DATA_ROOT:?set NEUROFEAT_DATA_ROOT}"
mkdir -p "$out"
export NEUROFEAT_ADDRESS_FILE="${NEUROFEAT_ADDRESS_FILE:-$out/server.address}"
export NEUROFEAT_MANIFEST="$manifest" NEUROFEAT_PIPELINE="$pipeline" NEUROFEAT_OUT_DIR="$out"
export NEUROFEAT_EXTRACT_ARGS="$*" NEUROFEAT_PARTS="$tasks"
server=$(sbatch --parsable --export=ALL --output="$out/server-%j.out" "$here/neurofeat-server.sbatch")
array=$(sbatch --parsable --export=ALL --array="0-$((tasks - 1))" \
  --output="$out/extract-%A_%a.out" "$here/neurofeat-extract-array.sbatch")
merge=$(sbatch --parsable --export=ALL,NEUROFEAT_SERVER_JOB="$server" \
  --dependency="afterok:$array" --kill-on-invalid-dep=yes --output="$out/merge-%j.out" \
  "$here/neurofeat-merge.sbatch")
echo "server job $server, extract array $array ($tasks tasks), merge $merge"
echo "table: $out/features.csv when job $merge completes"
