#!/usr/bin/python3
"""Writes EEGLAB test sets and MNE's reading of each.

Usage: make_eeglab_files.py OUTDIR            the test sets (small, fixed seeds)
       make_eeglab_files.py --bench OUTDIR    64 ch x 10 min at 1 kHz, one
                                              file per read path, and MNE's
                                              timings (bench_mne.json)
       make_eeglab_files.py --fuzz-seeds OUTDIR   small seeds for
                                              tests/fuzz/corpus/eeglab_fuzz
       make_eeglab_files.py --many-events OUTDIR
                                              many_events_v73.set (3000 events,
                                              MAT v7.3; ~5 MB) and its v5 twin

For every good set <name>.set (with <name>.fdt when the samples are apart)
it writes <name>.ref.npy (MNE 1.3's read_raw_eeglab(...).get_data(), float64,
channels x frames) and <name>.ref.json (ch_names, sfreq, ch_types,
highpass/lowpass (null: MNE has none, it reports its defaults, kept as
mne_highpass/mne_lowpass), events as [onset_frame, duration_frames,
description] from raw.annotations, frames = numpy's round(seconds * sfreq)).

MAT v5 files come from scipy.io.savemat (compressed or not). MAT v7.3 files
are written here with h5py in MATLAB's HDF5 layout (a 512-byte userblock
with the MATLAB header text, MATLAB_class attributes, chars as uint16,
struct arrays as groups of object references into /#refs#). MNE 1.3 without
pymatreader cannot read v7.3, so a v7.3 set's reference is MNE's reading of
the same fields written as MAT v5, checked against h5py's view of the v7.3
file (the samples must be equal).

bad_*.set files each break one field; the C++ test knows what error each
must give.
"""
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import warnings

import h5py
import mne
import numpy as np
import scipy.io as sio

mne.set_log_level('ERROR')
warnings.simplefilter('ignore')


class StructArray:
    """A 1 x N MATLAB struct array: dicts with the same keys, in order."""

    def __init__(self, items, fields=None):
        self.items = items
        self.fields = fields if fields is not None else (
            list(items[0].keys()) if items else [])


# ----------------------------------------------------------------- MAT v5

def _to_scipy(value):
    if isinstance(value, dict):
        return {k: _to_scipy(v) for k, v in value.items()}
    if isinstance(value, StructArray):
        arr = np.zeros((1, len(value.items)),
                       dtype=[(f, 'O') for f in value.fields])
        for i, item in enumerate(value.items):
            for f in value.fields:
                arr[0, i][f] = _to_scipy(item[f])
        return arr
    return value


def write_v5(path, fields, top_level=False, compressed=False):
    variables = ({k: _to_scipy(v) for k, v in fields.items()} if top_level
                 else {'EEG': _to_scipy(fields)})
    sio.savemat(path, variables, do_compression=compressed, oned_as='row')


def write_v5_big_endian(path, fields):
    """Top-level numeric fields as a big-endian MAT v5 file (as written on
    SPARC or PowerPC; scipy writes native order only)."""
    def element(mtype, payload):
        pad = (8 - len(payload) % 8) % 8
        return struct.pack('>II', mtype, len(payload)) + payload + b'\0' * pad

    def matrix(name, a):
        a = np.asarray(a)
        if a.ndim < 2:
            a = a.reshape(1, -1) if a.ndim == 1 else a.reshape(1, 1)
        mclass, mtype, code = {np.dtype('float64'): (6, 9, '>f8'),
                               np.dtype('float32'): (7, 7, '>f4')}[a.dtype]
        body = (element(6, struct.pack('>II', mclass, 0)) +
                element(5, struct.pack('>%di' % a.ndim, *a.shape)) +
                element(1, name.encode()) +
                element(mtype, a.astype(code).ravel(order='F').tobytes()))
        return struct.pack('>II', 14, len(body)) + body

    header = b'MATLAB 5.0 MAT-file, big-endian test set'.ljust(116, b' ')
    out = header + b'\0' * 8 + b'\x01\x00MI'
    for name, value in fields.items():
        out += matrix(name, value)
    with open(path, 'wb') as fh:
        fh.write(out)


# --------------------------------------------------------------- MAT v7.3

_CLASS_OF = {np.dtype('float64'): 'double', np.dtype('float32'): 'single',
             np.dtype('int8'): 'int8', np.dtype('uint8'): 'uint8',
             np.dtype('int16'): 'int16', np.dtype('uint16'): 'uint16',
             np.dtype('int32'): 'int32', np.dtype('uint32'): 'uint32',
             np.dtype('int64'): 'int64', np.dtype('uint64'): 'uint64',
             np.dtype('bool'): 'logical'}


def _class_attr(obj, cls):
    # MATLAB writes a fixed-length NULLTERM string; h5py's default (NULLPAD)
    # loses the last character when read as NULLTERM, as matio reads it.
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(len(cls))
    tid.set_strpad(h5py.h5t.STR_NULLTERM)
    attr = h5py.h5a.create(obj.id, b'MATLAB_class', tid,
                           h5py.h5s.create(h5py.h5s.SCALAR))
    attr.write(np.array(cls.encode(), dtype='S%d' % len(cls)), mtype=tid)


def _fields_attr(group, names):
    arr = np.empty(len(names), dtype=object)
    for i, n in enumerate(names):
        arr[i] = np.array([c.encode() for c in n], dtype='S1')
    group.attrs.create('MATLAB_fields', arr,
                       dtype=h5py.vlen_dtype(np.dtype('S1')))


class _V73Writer:
    def __init__(self, f, data_chunk_frames):
        self.f = f
        self.refs = None
        self.count = 0
        self.data_chunk_frames = data_chunk_frames

    def ref_name(self):
        if self.refs is None:
            self.refs = self.f.create_group('#refs#')
        self.count += 1
        return 'r%d' % self.count

    def write(self, parent, name, value, is_data=False):
        if isinstance(value, dict):
            g = parent.create_group(name)
            _class_attr(g, 'struct')
            _fields_attr(g, list(value.keys()))
            for k, v in value.items():
                self.write(g, k, v, is_data=(k == 'data'))
            return g
        if isinstance(value, StructArray):
            g = parent.create_group(name)
            _class_attr(g, 'struct')
            _fields_attr(g, value.fields)
            for k in value.fields:
                refs = []
                for item in value.items:
                    rn = self.ref_name()
                    refs.append(self.write(self.refs, rn, item[k]).ref)
                g.create_dataset(k, data=np.array(refs, dtype=h5py.ref_dtype)
                                 .reshape(len(refs), 1), dtype=h5py.ref_dtype)
            return g
        if isinstance(value, str):
            if not value:
                d = parent.create_dataset(name, data=np.array([0, 0], np.uint64))
                _class_attr(d, 'char')
                d.attrs.create('MATLAB_empty', np.uint8(1))
                return d
            units = np.frombuffer(value.encode('utf-16-le'), dtype='<u2')
            d = parent.create_dataset(name, data=units.reshape(len(units), 1))
            _class_attr(d, 'char')
            d.attrs.create('MATLAB_int_decode', np.int32(2))
            return d
        a = np.asarray(value)
        if a.ndim == 0:
            a = a.reshape(1, 1)
        elif a.ndim == 1:
            a = a.reshape(1, -1)
        cls = _CLASS_OF[a.dtype]
        if a.size == 0:
            d = parent.create_dataset(name, data=np.array(a.shape, np.uint64))
            _class_attr(d, cls)
            d.attrs.create('MATLAB_empty', np.uint8(1))
            return d
        if cls == 'logical':
            a = a.astype(np.uint8)
        kw = {}
        if is_data and self.data_chunk_frames:
            # MATLAB's own v7.3 writes big arrays chunked and deflated.
            kw = dict(chunks=(self.data_chunk_frames, a.shape[0]),
                      compression='gzip', compression_opts=3)
        # MATLAB dims (d0, d1) are HDF5 dims (d1, d0): column-major.
        d = parent.create_dataset(name, data=np.ascontiguousarray(a.T), **kw)
        _class_attr(d, cls)
        if cls == 'logical':
            d.attrs.create('MATLAB_int_decode', np.int32(1))
        return d


MAT73_HEADER = (b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: '
                b'Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .')


def write_v73(path, fields, top_level=False, data_chunk_frames=0):
    with h5py.File(path, 'w', userblock_size=512) as f:
        w = _V73Writer(f, data_chunk_frames)
        if top_level:
            for k, v in fields.items():
                w.write(f, k, v, is_data=(k == 'data'))
        else:
            w.write(f, 'EEG', fields)
    # Bytes 124-127: version 0x0200 and the endian indicator "IM".
    with open(path, 'r+b') as fh:
        fh.write(MAT73_HEADER.ljust(116, b' ') + b'\0' * 8 + b'\x00\x02IM')


def h5_data_view(path, top_level):
    """h5py's view of a v7.3 set's samples: channels x frames, float64."""
    with h5py.File(path, 'r') as f:
        d = f['data'] if top_level else f['EEG']['data']
        return np.asarray(d[...], dtype=np.float64).T


# -------------------------------------------------------------- the sets

def make_data(rng, nbchan, pnts, dtype=np.float32):
    # A random walk plus noise, in µV, as EEGLAB stores it.
    walk = np.cumsum(rng.standard_normal((nbchan, pnts)), axis=1)
    return (walk * 3 + rng.standard_normal((nbchan, pnts)) * 20).astype(dtype)


def make_chanlocs(labels, types):
    items = []
    for i, (label, typ) in enumerate(zip(labels, types)):
        items.append({'labels': label, 'type': typ,
                      'theta': float(i * 10), 'radius': 0.5,
                      'X': np.zeros((0, 0)), 'Y': np.zeros((0, 0)),
                      'Z': np.zeros((0, 0)), 'urchan': float(i + 1),
                      'ref': ''})
    return StructArray(items)


def make_events(srate, pnts, with_duration=True):
    # (type, latency, duration): boundaries, fractional latencies, numbers
    # of each MATLAB class, equal onsets in reverse duration order, events
    # that start before the data, run past its end, or start after it.
    last = float(pnts)
    evs = [
        ('boundary', 1.0, 0.0),
        ('stim', 100.5, 2.0),
        (3.0, 250.25, 1.0),
        (np.int32(7), 99.5, 0.0),
        (np.float32(2.5), 1000.0, np.zeros((0, 0))),  # empty duration: NaN
        ('resp', 400.0, 20.0),
        ('resp', 400.0, 5.0),
        ('early', 0.7, 3.0),
        (np.uint8(12), 333.3, 0.5),
        ('late', last - 0.4, 10.0),
        ('after', last + 50.0, 1.0),
        ('boundary', 1500.0, 37.0),
        ('µ-stim', 1200.6, 0.0),
        (1e-05, 1800.0, 1.0),
        (123456789.0, 1900.0, 1.0),
        (np.True_, 2000.0, 0.0),
        (np.float32(0.1), np.float32(1100.3), np.float32(1.5)),
        (np.int16(-3), np.uint8(200), np.int8(4)),
    ]
    items = []
    for t, lat, dur in evs:
        if lat > last + 100:
            continue
        e = {'type': t, 'latency': lat}
        if with_duration:
            e['duration'] = dur
        e['urevent'] = float(len(items) + 1)
        items.append(e)
    return StructArray(items)


def eeg_fields(nbchan, pnts, srate, data, chanlocs=None, events=None,
               data_first=True):
    f = {'setname': 'test', 'nbchan': float(nbchan), 'trials': 1.0,
         'pnts': float(pnts), 'srate': float(srate), 'xmin': 0.0,
         'xmax': (pnts - 1) / srate}
    if data_first:
        f['data'] = data
    f['chanlocs'] = chanlocs if chanlocs is not None else np.zeros((0, 0))
    f['event'] = events if events is not None else np.zeros((0, 0))
    f['ref'] = 'common'
    if not data_first:
        f['data'] = data
    return f


LABELS16 = ['Fp1', 'Fp2', 'F3', 'F4', 'C3', 'C4', 'P3', 'P4', 'O1', 'O2',
            'HEOG', 'VEOG', 'ECG', 'EMG', 'Trig', 'Cz\u00b5']
TYPES16 = ['EEG'] * 10 + ['EOG', ' eog ', 'ECG', 'emg', 'STIM', 'unknown']


def write_fdt(path, data):
    # float32, frames interleaved: channels of one frame contiguous.
    np.asarray(data, dtype='<f4').T.tofile(path)


def reference(set_path):
    raw = mne.io.read_raw_eeglab(set_path, preload=False)
    data = raw.get_data()
    sfreq = raw.info['sfreq']
    events = []
    for onset, duration, desc in zip(raw.annotations.onset,
                                     raw.annotations.duration,
                                     raw.annotations.description):
        events.append([int(np.round(onset * sfreq)),
                       int(np.round(duration * sfreq)), str(desc)])
    meta = {'ch_names': raw.ch_names, 'sfreq': float(sfreq),
            'ch_types': raw.get_channel_types(),
            'highpass': None, 'lowpass': None,
            'mne_highpass': raw.info['highpass'],
            'mne_lowpass': raw.info['lowpass'],
            'n_times': int(raw.n_times), 'events': events}
    return data, meta


def save_reference(outdir, name, data, meta):
    np.save(os.path.join(outdir, name + '.ref.npy'), data)
    with open(os.path.join(outdir, name + '.ref.json'), 'w') as fh:
        json.dump(meta, fh, indent=1, ensure_ascii=False)


def make_set(outdir, name, fields, fmt, top_level=False, fdt=None,
             data_chunk_frames=0):
    """Writes <name>.set (fmt 'v5', 'v5z' or 'v73') and its reference.

    fdt: the samples for a .fdt named by fields['data'] beside the .set."""
    set_path = os.path.join(outdir, name + '.set')
    if fdt is not None:
        write_fdt(os.path.join(outdir, fields['data']), fdt)
    if fmt == 'v73':
        write_v73(set_path, fields, top_level, data_chunk_frames)
        # MNE reads the same fields written as MAT v5 (with the .fdt).
        with tempfile.TemporaryDirectory() as tmp:
            twin = os.path.join(tmp, name + '.set')
            write_v5(twin, fields, top_level)
            if fdt is not None:
                shutil.copy(os.path.join(outdir, fields['data']), tmp)
            data, meta = reference(twin)
        if fdt is None:
            view = h5_data_view(set_path, top_level) * 1e-6
            assert np.array_equal(view, data), name + ': h5py view != MNE'
    else:
        write_v5(set_path, fields, top_level, compressed=(fmt == 'v5z'))
        data, meta = reference(set_path)
    save_reference(outdir, name, data, meta)


def make_good(outdir):
    rng = np.random.default_rng(20240601)

    # 16 channels x 3000 frames at 250 Hz, float32, typed chanlocs, events
    # with durations: as plain v5, compressed v5, and v7.3 (chunked and
    # deflated as MATLAB writes big arrays; chunks of 256 frames).
    d16 = make_data(rng, 16, 3000)
    f16 = eeg_fields(16, 3000, 250, d16, make_chanlocs(LABELS16, TYPES16),
                     make_events(250, 3000))
    make_set(outdir, 'inline_v5', f16, 'v5')
    make_set(outdir, 'inline_v5z', f16, 'v5z')
    make_set(outdir, 'inline_v73', f16, 'v73', data_chunk_frames=256)

    # Top-level fields, double samples, no chanlocs, events without
    # duration, 500 Hz: plain v5, compressed v5, contiguous v7.3.
    d8 = make_data(rng, 8, 2500, np.float64)
    f8 = eeg_fields(8, 2500, 500, d8, None, make_events(500, 2500, False))
    make_set(outdir, 'top_v5', f8, 'v5', top_level=True)
    make_set(outdir, 'top_v5z', f8, 'v5z', top_level=True)
    make_set(outdir, 'top_v73', f8, 'v73', top_level=True)

    # Big-endian MAT v5, top-level fields, float32 samples.
    dbe = make_data(rng, 8, 1500)
    write_v5_big_endian(os.path.join(outdir, 'top_v5_be.set'),
                        {'nbchan': 8.0, 'pnts': 1500.0, 'trials': 1.0,
                         'srate': 250.0, 'chanlocs': np.zeros((0, 0)),
                         'data': dbe})
    data, meta = reference(os.path.join(outdir, 'top_v5_be.set'))
    assert np.array_equal(data, dbe.astype(np.float64) * 1e-6)
    save_reference(outdir, 'top_v5_be', data, meta)

    # Samples in a .fdt: 32 channels x 2000 frames at 500 Hz, duplicate
    # labels (MNE renames them), no events.
    d32 = make_data(rng, 32, 2000)
    labels32 = ['E%d' % i for i in range(30)] + ['E3', 'E3']
    f32 = eeg_fields(32, 2000, 500, 'fdt_v5.fdt',
                     make_chanlocs(labels32, ['EEG'] * 32))
    make_set(outdir, 'fdt_v5', f32, 'v5', fdt=d32)
    f32b = dict(f32, data='fdt_v73.fdt', event=make_events(500, 2000))
    make_set(outdir, 'fdt_v73', f32b, 'v73', fdt=d32)

    # EEG.data names a file that is not there: MNE falls back to the
    # .set's own name with .fdt.
    f32c = dict(f32, data='renamed_on_disk.fdt')
    write_fdt(os.path.join(outdir, 'fdt_fallback.fdt'), d32[:, :1000])
    f32c['pnts'] = 1000.0
    write_v5(os.path.join(outdir, 'fdt_fallback.set'), f32c)
    data, meta = reference(os.path.join(outdir, 'fdt_fallback.set'))
    save_reference(outdir, 'fdt_fallback', data, meta)

    # One channel (chanlocs a 1x1 struct), int16 samples, 256 Hz (onsets
    # that the microsecond rounding of MNE's cropping moves), data stored
    # after the metadata (so a cut file loses samples only).
    d1 = (rng.standard_normal((1, 1200)) * 300).astype(np.int16)
    ev1 = StructArray([{'type': 'a', 'latency': lat, 'duration': 0.0}
                       for lat in (99.5, 100.5, 2.5, 3.5, 17.5, 600.5)])
    f1 = eeg_fields(1, 1200, 256, d1, make_chanlocs(['Cz'], ['eeg']), ev1,
                    data_first=False)
    make_set(outdir, 'one_channel_v5', f1, 'v5')

    # EEG nested in EEG (MNE reads EEG.EEG), compressed.
    d4 = make_data(rng, 8, 1000)
    f4 = eeg_fields(8, 1000, 250, d4)
    write_v5(os.path.join(outdir, 'nested_v5z.set'), {'EEG': f4},
             compressed=True)
    data, meta = reference(os.path.join(outdir, 'nested_v5z.set'))
    save_reference(outdir, 'nested_v5z', data, meta)

    # Data last, uncompressed, 8 x 2000 float32 at 250 Hz: the truncation
    # test cuts it inside the samples.
    d8b = make_data(rng, 8, 2000)
    f8b = eeg_fields(8, 2000, 250, d8b, make_chanlocs(LABELS16[:8], ['EEG'] * 8),
                     data_first=False)
    make_set(outdir, 'data_last_v5', f8b, 'v5')


def make_bad(outdir):
    rng = np.random.default_rng(7)
    d = make_data(rng, 4, 100)
    locs = make_chanlocs(['A', 'B', 'C', 'D'], ['EEG'] * 4)

    def good(**kw):
        f = eeg_fields(4, 100, 100, d, locs)
        f.update(kw)
        return f

    def v5(name, fields, top_level=False):
        write_v5(os.path.join(outdir, 'bad_%s.set' % name), fields, top_level)

    v5('nbchan_zero', good(nbchan=0.0))
    v5('nbchan_fraction', good(nbchan=4.5))
    v5('pnts_negative', good(pnts=-5.0))
    v5('srate_zero', good(srate=0.0))
    v5('srate_nan', good(srate=float('nan')))
    v5('srate_array', good(srate=np.array([[100.0, 200.0]])))
    v5('trials_epoched', good(trials=3.0,
                              data=np.zeros((4, 100, 3), np.float32)))
    f = good()
    del f['nbchan']
    v5('nbchan_missing', f)
    v5('data_shape', good(nbchan=5.0, chanlocs=np.zeros((0, 0))))
    v5('data_complex', good(data=d.astype(np.complex64)))
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = d
    v5('data_cell', good(data=cell))
    v5('data_missing', {k: v for k, v in good().items() if k != 'data'})
    v5('fdt_dat', good(data='old.dat'))
    v5('fdt_ext', good(data='samples.bin'))
    v5('fdt_missing', good(data='nowhere.fdt'))
    v5('chanlocs_count', good(chanlocs=make_chanlocs(['A', 'B', 'C'],
                                                     ['EEG'] * 3)))
    num_label = make_chanlocs(['A', 'B', 'C', 'D'], ['EEG'] * 4)
    num_label.items[1] = dict(num_label.items[1], labels=5.0)
    v5('label_numeric', good(chanlocs=num_label))
    empty_label = make_chanlocs(['A', '', 'C', 'D'], ['EEG'] * 4)
    v5('label_empty', good(chanlocs=empty_label))
    v5('event_latency_missing',
       good(event=StructArray([{'type': 'x', 'duration': 0.0}])))
    v5('event_latency_negative',
       good(event=StructArray([{'type': 'x', 'latency': -5.0}])))
    v5('event_latency_empty',
       good(event=StructArray([{'type': 'x', 'latency': np.zeros((0, 0))}])))
    v5('event_type_array',
       good(event=StructArray([{'type': np.array([[1.0, 2.0]]),
                                'latency': 5.0}])))
    v5('event_type_colon',
       good(event=StructArray([{'type': 'a{COLON}b', 'latency': 5.0}])))
    v5('event_duration_negative',
       good(event=StructArray([{'type': 'x', 'latency': 5.0,
                                'duration': -2.0}])))
    sio.savemat(os.path.join(outdir, 'bad_alleeg.set'),
                {'ALLEEG': _to_scipy(good()), 'EEG': _to_scipy(good())})
    sio.savemat(os.path.join(outdir, 'bad_no_eeg.set'), {'x': 1.0})
    sio.savemat(os.path.join(outdir, 'bad_eeg_not_struct.set'), {'EEG': 5.0})
    sio.savemat(os.path.join(outdir, 'bad_mat4.set'), {'x': np.ones((2, 2))},
                format='4')
    with open(os.path.join(outdir, 'bad_not_mat.set'), 'w') as fh:
        fh.write('EEGLAB? no: a text file that is long enough to hold a '
                 'MAT header, padded ' + 'x' * 200)
    with open(os.path.join(outdir, 'bad_v73_not_hdf5.set'), 'wb') as fh:
        fh.write(MAT73_HEADER.ljust(116, b' ') + b'\0' * 8 + b'\x00\x02IM' +
                 b'\0' * 1024)
    write_v73(os.path.join(outdir, 'bad_v73_trials.set'),
              good(trials=2.0, data=np.zeros((4, 100, 2), np.float32)))


def make_bench(outdir):
    """64 ch x 10 min at 1 kHz: one set per read path, MNE's timings."""
    rng = np.random.default_rng(1)
    nbchan, pnts, srate = 64, 600000, 1000
    data = np.cumsum(rng.standard_normal((nbchan, pnts), np.float32), axis=1)
    f = eeg_fields(nbchan, pnts, srate, data,
                   make_chanlocs(['E%d' % i for i in range(nbchan)],
                                 ['EEG'] * nbchan))
    write_v5(os.path.join(outdir, 'bench_v5.set'), f)
    write_v5(os.path.join(outdir, 'bench_v5z.set'), f, compressed=True)
    write_v73(os.path.join(outdir, 'bench_v73.set'), f)
    write_v73(os.path.join(outdir, 'bench_v73z.set'), f,
              data_chunk_frames=1024)
    write_fdt(os.path.join(outdir, 'bench_fdt.fdt'), data)
    write_v5(os.path.join(outdir, 'bench_fdt.set'), dict(f, data='bench_fdt.fdt'))
    timings = {}
    for name in ('bench_fdt', 'bench_v5', 'bench_v5z'):
        best = None
        for _ in range(3):
            t0 = time.perf_counter()
            raw = mne.io.read_raw_eeglab(os.path.join(outdir, name + '.set'),
                                         preload=False)
            raw.get_data()
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        timings[name] = best
    with open(os.path.join(outdir, 'bench_mne.json'), 'w') as fh:
        json.dump(timings, fh, indent=1)


def make_many_events(outdir):
    """3000 events in MAT v7.3: 9000 referenced values to read."""
    rng = np.random.default_rng(3)
    n = 3000
    items = [{'type': 'stim' if i % 3 else float(i), 'latency': float(1 + 7 * i),
              'duration': float(i % 5)} for i in range(n)]
    f = eeg_fields(4, 7 * n, 250, make_data(rng, 4, 7 * n), None,
                   StructArray(items))
    make_set(outdir, 'many_events_v73', f, 'v73')


def make_fuzz_seeds(outdir):
    """Small sets as eeglab_fuzz reads them: the .set, then optionally
    "\n--\n" and the x.fdt that EEG.data names."""
    rng = np.random.default_rng(5)
    d = make_data(rng, 3, 16)
    locs = make_chanlocs(['A', 'B', 'A'], ['EEG', 'EOG', ''])
    ev = StructArray([{'type': 'boundary', 'latency': 1.0, 'duration': 0.0},
                      {'type': 2.0, 'latency': 7.5, 'duration': 3.0},
                      {'type': '', 'latency': 20.0, 'duration': np.zeros((0, 0))}])
    f = eeg_fields(3, 16, 100, d, locs, ev)
    with tempfile.TemporaryDirectory() as tmp:
        def seed(name, writer, fdt=None):
            p = os.path.join(tmp, 'x.set')
            writer(p)
            with open(p, 'rb') as fh:
                content = fh.read()
            if fdt is not None:
                content += b'\n--\n' + np.asarray(fdt, '<f4').T.tobytes()
            with open(os.path.join(outdir, name), 'wb') as fh:
                fh.write(content)
            return content

        v5 = seed('inline_v5', lambda p: write_v5(p, f))
        seed('inline_v5z', lambda p: write_v5(p, f, compressed=True))
        seed('top_v5', lambda p: write_v5(p, dict(f, chanlocs=np.zeros((0, 0))),
                                          top_level=True))
        seed('inline_v73', lambda p: write_v73(p, dict(f, chanlocs=np.zeros((0, 0)))))
        seed('fdt_v5', lambda p: write_v5(p, dict(f, data='x.fdt')), fdt=d)
        seed('fdt_v73', lambda p: write_v73(p, dict(f, data='x.fdt', event=np.zeros((0, 0)),
                                                     chanlocs=np.zeros((0, 0)))), fdt=d)
        with open(os.path.join(outdir, 'cut_v5'), 'wb') as fh:
            fh.write(v5[:len(v5) - 100])
        with open(os.path.join(outdir, 'header_only'), 'wb') as fh:
            fh.write(v5[:128])


def main(argv):
    if len(argv) == 3 and argv[1] == '--bench':
        make_bench(argv[2])
        return 0
    if len(argv) == 3 and argv[1] == '--fuzz-seeds':
        make_fuzz_seeds(argv[2])
        return 0
    if len(argv) == 3 and argv[1] == '--many-events':
        make_many_events(argv[2])
        return 0
    if len(argv) != 2:
        print(__doc__)
        return 2
    make_good(argv[1])
    make_bad(argv[1])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
