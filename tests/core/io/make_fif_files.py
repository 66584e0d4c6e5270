#!/usr/bin/python3
"""Writes small FIF raw files with MNE and, for each, what MNE reads back.

Usage: make_fif_files.py OUTDIR

For each recording NAME (the first file of the recording; split parts sit
beside it) it writes:
  NAME.ref.npy   mne.io.read_raw_fif(NAME, preload=False).get_data(),
                 float64, channels x frames
  NAME.ref.json  ch_names, sfreq, ch_types, highpass, lowpass, first_samp,
                 n_times, parts (file names of every part, in order) and
                 events: [onset_frame, duration_frames, description] from
                 raw.annotations, converted to frames from MNE's first sample
                 the way MNE converts annotations to samples
                 (mne.annotations._annotations_starts_stops).

Recordings (all deterministic, fixed seeds):
  short_raw.fif, int_raw.fif, single_raw.fif, double_raw.fif
      the same RawArray (EEG, EOG, ECG, EMG, stim, misc, MEG mag and grad
      with Neuromag-like cal and range, one channel name longer than 15
      characters), highpass/lowpass set, a measurement date, a non-zero
      first_samp and annotations (one description with a colon, one with a
      Latin-1 character), saved with raw.save(fmt=...).
  split_raw.fif (+ split_raw-1.fif, split_raw-2.fif)
      a longer recording saved with a split_size that gives 3 parts.
  skips_raw.fif
      BAD_ACQ_SKIP annotations on buffer boundaries, which raw.save writes as
      FIFF_DATA_SKIP (a leading one and one in the middle): MNE shifts
      first_samp for the leading one and reads zeros for the other.
  nodate_eeg.fif
      no measurement date (annotations relative to the first sample), a BIDS
      name ending, buffers of an odd length.
  dupnames_raw.fif
      short_raw.fif with channel 1 renamed to channel 0's name (as some
      acquisitions write them): MNE renames both to Fz-0, Fz-1 (with a
      warning, allowed for this file only).
"""
import struct
import json
import os
import sys
import warnings

import numpy as np

import mne
from mne.annotations import _annotations_starts_stops

mne.set_log_level('ERROR')
# A warning while writing or reading means a file is not what MNE accepts
# quietly: fail instead of producing it.
warnings.simplefilter('error')

SFREQ = 250.0


def make_info(long_name=True):
    names = ['Fz', 'Cz', 'Pz', 'Oz', 'EOG061', 'ECG063', 'EMG064', 'STI014',
             'MISC001', 'MEG0111', 'MEG0112', 'MEG0113']
    types = ['eeg', 'eeg', 'eeg', 'eeg', 'eog', 'ecg', 'emg', 'stim', 'misc',
             'mag', 'grad', 'grad']
    if long_name:
        names[3] = 'Oz_a_very_long_channel_name'  # > 15 characters
    info = mne.create_info(names, SFREQ, types)
    # Neuromag-like calibrations: stored = value / (cal * range).
    cal_range = {
        'eeg': (1.9073486328125e-06, 0.05), 'eog': (1.9073486e-06, 0.05),
        'ecg': (2.4e-06, 0.1), 'emg': (2.5e-06, 0.1), 'stim': (1.0, 1.0),
        'misc': (1.5e-03, 0.5), 'mag': (3.1e-13, 0.0625),
        'grad': (1.6e-11, 0.0625),
    }
    with info._unlock():
        for ch, kind in zip(info['chs'], types):
            ch['cal'], ch['range'] = cal_range[kind]
        info['highpass'] = 0.1
        info['lowpass'] = 40.0
    return info, types


def make_data(types, n, seed):
    rng = np.random.default_rng(seed)
    scale = {'eeg': 40e-6, 'eog': 100e-6, 'ecg': 300e-6, 'emg': 20e-6,
             'misc': 0.3, 'mag': 1.2e-12, 'grad': 5e-11}
    t = np.arange(n) / SFREQ
    data = np.zeros((len(types), n))
    for i, kind in enumerate(types):
        if kind == 'stim':
            data[i, ::97] = 5
            data[i, 13::131] = 3
            continue
        s = scale[kind]
        data[i] = s * (np.sin(2 * np.pi * (3 + i) * t) +
                       0.3 * rng.standard_normal(n))
    return data


def write_ref(out, name, parts):
    path = os.path.join(out, name)
    raw = mne.io.read_raw_fif(path, preload=False)
    np.save(os.path.join(out, name + '.ref.npy'),
            raw.get_data().astype(np.float64))
    onsets, ends = _annotations_starts_stops(raw, [''])
    events = [[int(o), int(e - o), str(d)] for o, e, d in
              zip(onsets, ends, raw.annotations.description)]
    ref = dict(
        ch_names=raw.ch_names, sfreq=raw.info['sfreq'],
        ch_types=raw.get_channel_types(), highpass=raw.info['highpass'],
        lowpass=raw.info['lowpass'], first_samp=int(raw.first_samp),
        n_times=int(raw.n_times), parts=parts, events=events)
    with open(os.path.join(out, name + '.ref.json'), 'w') as f:
        json.dump(ref, f, indent=1)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    meas_date = (1600000000, 123456)

    # The four storage formats of one recording.
    info, types = make_info()
    data = make_data(types, 1500, seed=1)
    raw = mne.io.RawArray(data, info, first_samp=1234)
    raw.set_meas_date(meas_date)
    raw.set_annotations(mne.Annotations(
        onset=[0.5, 1.2345678, 2.0, 5.75, 3.0],
        duration=[0.0, 0.25, 1.1, 0.2, 0.0],
        description=['start', 'stim:1', 'BAD_muscle', 'caf\u00e9', 'resp'],
        orig_time=None))
    for fmt in ('short', 'int', 'single', 'double'):
        name = fmt + '_raw.fif'
        raw.save(os.path.join(out, name), fmt=fmt, buffer_size_sec=0.4,
                 overwrite=True)
        write_ref(out, name, [name])

    # Split into 3 parts: MNE keeps 1 MiB spare per part, so a split_size
    # just above that leaves ~55 kB of buffers in each.
    data = make_data(types, 3000, seed=2)
    raw = mne.io.RawArray(data, info, first_samp=500)
    raw.set_meas_date(meas_date)
    raw.set_annotations(mne.Annotations(
        onset=[1.0, 7.5, 10.0], duration=[0.5, 0.0, 1.0],
        description=['a', 'b', 'c'], orig_time=None))
    raw.save(os.path.join(out, 'split_raw.fif'), fmt='single',
             buffer_size_sec=0.2, split_size=2 ** 20 + 60000, overwrite=True)
    parts = sorted(f for f in os.listdir(out) if f.startswith('split_raw'))
    parts = ['split_raw.fif'] + [p for p in parts if p != 'split_raw.fif']
    if len(parts) != 3:
        raise SystemExit(f'expected 3 split parts, got {parts}')
    write_ref(out, 'split_raw.fif', parts)

    # Acquisition skips on buffer boundaries (buffers of 50 frames): frames
    # [0, 100) and [400, 500) are skipped.
    data = make_data(types, 1000, seed=3)
    raw = mne.io.RawArray(data, info, first_samp=2000)
    raw.set_meas_date(meas_date)
    raw.set_annotations(mne.Annotations(
        onset=[0.0, 1.6, 2.5], duration=[0.4, 0.4, 0.1],
        description=['BAD_ACQ_SKIP', 'BAD_ACQ_SKIP', 'ev'], orig_time=None))
    raw.save(os.path.join(out, 'skips_raw.fif'), fmt='short',
             buffer_size_sec=0.2, overwrite=True)
    write_ref(out, 'skips_raw.fif', ['skips_raw.fif'])

    # No measurement date: annotation onsets count from the first sample.
    info, types = make_info(long_name=False)
    data = make_data(types, 777, seed=4)
    raw = mne.io.RawArray(data, info, first_samp=321)
    raw.set_meas_date(None)
    raw.set_annotations(mne.Annotations(
        onset=[0.004, 1.5, 3.0], duration=[0.0, 0.5, 0.1],
        description=['x', 'y', 'z'], orig_time=None))
    raw.save(os.path.join(out, 'nodate_eeg.fif'), fmt='int',
             buffer_size_sec=0.3, overwrite=True)
    write_ref(out, 'nodate_eeg.fif', ['nodate_eeg.fif'])

    # Duplicate names: "Cz" -> "Fz" in the channel's FIFF_CH_INFO and in its
    # extended FIFFB_CH_INFO block.
    with open(os.path.join(out, 'short_raw.fif'), 'rb') as f:
        data = bytearray(f.read())
    pos = 0
    while pos + 16 <= len(data):
        kind, _, size, nxt = struct.unpack('>iIii', data[pos:pos + 16])
        body = data[pos + 16:pos + 16 + size]
        if kind == 203 and body[80:83] == b'Cz\0':  # FIFF_CH_INFO name
            data[pos + 16 + 80:pos + 16 + 82] = b'Fz'
        if kind == 258 and body == b'Cz':  # FIFF_CH_DACQ_NAME
            data[pos + 16:pos + 18] = b'Fz'
        if nxt < 0:
            break
        pos += 16 + size
    with open(os.path.join(out, 'dupnames_raw.fif'), 'wb') as f:
        f.write(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        write_ref(out, 'dupnames_raw.fif', ['dupnames_raw.fif'])


if __name__ == '__main__':
    main()
