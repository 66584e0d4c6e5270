#!/usr/bin/env bash
# The main job on data the project makes itself: install, build, generate a
# 10 s, 384-channel int16 recording at 30 kHz, and preprocess it with
# SpikeInterface's defaults (bandpass 300-6000 Hz, global median reference)
# in 1 s chunks with the embedded engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
out="${NEUROFEAT_DEMO_DIR:-/tmp/neurofeat_demo}"
mkdir -p "$out"
./build/client/cli/neurofeat generate --output "$out/recording.npy" --channels 384 --duration 10s --fs 30000
./build/client/cli/neurofeat preprocess --input "$out/recording.npy" --fs 30000 \
  --pipeline examples/spikeinterface_preprocess.json --output "$out/preprocessed.npy"
