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
# Features: a generated 8-channel, 5-minute recording at 256 Hz, band-passed
# 1-40 Hz, cut into 2 s windows every 1 s, through an EEGDash feature tree.
./build/client/cli/neurofeat generate --output "$out/eeg.npy" --channels 8 --duration 300s \
  --fs 256 --dtype float32
./build/client/cli/neurofeat extract --input "$out/eeg.npy" --fs 256 \
  --channels Fz,Cz,Pz,Oz,C3,C4,O1,O2 --highpass 1 --lowpass 40 \
  --pipeline examples/eeg_features.json --output "$out/features.csv" --include-metadata
head -c 300 "$out/features.csv"; echo " ..."
