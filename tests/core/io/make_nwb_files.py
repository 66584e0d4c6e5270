#!/usr/bin/python3
"""Writes NWB 2.x test files for nwb_source_test, with their references.

Usage: make_nwb_files.py OUTDIR [--bench | --fuzz-corpus]

pynwb is not available here, so h5py writes the files the way pynwb lays
them out (NWB schema 2.x: root attributes, /general/extracellular_ephys with
its electrode groups and the electrodes DynamicTable, ElectricalSeries in
/acquisition with data, electrodes (a DynamicTableRegion whose `table`
attribute is an object reference), starting_time + rate or timestamps,
channel_conversion, conversion and offset).

For each valid case NAME it writes NAME.ref.npy (float64, channels x frames:
the schema's volts = data * conversion * channel_conversion[c] + offset,
computed by numpy from the arrays written) and NAME.ref.json (file, series,
ch_names, sfreq, ch_types, highpass, lowpass, events, unit). Broken files
(bad_*.nwb, truncated_*.nwb) carry no reference: the C++ test states what it
expects of each; truncated_*.json give the first frame that is missing.

--bench also writes bench_raw.nwb (contiguous) and bench_gzip.nwb (chunks of
10000 x 64, gzip level 4, shuffle; and without shuffle): 64 channels x
10 min at 1 kHz, int16. --fuzz-corpus writes only the minimal seeds of
tests/fuzz/corpus/nwb_fuzz instead.
"""

import json
import os
import sys
import uuid

import h5py
import numpy as np

RNG = np.random.default_rng(20240611)
OUT = sys.argv[1]
STR = h5py.string_dtype()


def new_id():
    return str(uuid.UUID(bytes=RNG.bytes(16), version=4))


def typed(obj, ns, ntype, **attrs):
    obj.attrs["namespace"] = ns
    obj.attrs["neurodata_type"] = ntype
    obj.attrs["object_id"] = new_id()
    for k, v in attrs.items():
        obj.attrs[k] = v
    return obj


def nwb_file(path, nwb_version="2.5.0"):
    f = h5py.File(path, "w")
    f.attrs["nwb_version"] = nwb_version
    typed(f, "core", "NWBFile")
    f.create_dataset("identifier", data="test-" + os.path.basename(path), dtype=STR)
    f.create_dataset("session_description", data="neurofeat NWB reader test", dtype=STR)
    f.create_dataset("session_start_time", data="2024-06-11T10:00:00+00:00", dtype=STR)
    f.create_dataset("timestamps_reference_time", data="2024-06-11T10:00:00+00:00", dtype=STR)
    f.create_dataset("file_create_date", data=["2024-06-11T10:00:00+00:00"], dtype=STR)
    for g in ("acquisition", "analysis", "processing", "stimulus/presentation",
              "stimulus/templates", "general/devices"):
        f.require_group(g)
    typed(f["general/devices"].create_group("probe"), "core", "Device",
          description="test probe")
    return f


def electrodes_table(f, n_rows, ids=None, channel_names=None):
    """The /general/extracellular_ephys/electrodes DynamicTable."""
    ee = f.require_group("general/extracellular_ephys")
    shank = typed(ee.create_group("shank0"), "core", "ElectrodeGroup",
                  description="shank 0", location="CA1")
    shank["device"] = h5py.SoftLink("/general/devices/probe")
    table = ee.create_group("electrodes")
    cols = ["location", "group", "group_name"] + (["channel_name"] if channel_names else [])
    typed(table, "hdmf-common", "DynamicTable", description="metadata about electrodes")
    table.attrs.create("colnames", cols, dtype=STR)
    ids = np.arange(n_rows) if ids is None else np.asarray(ids)
    typed(table.create_dataset("id", data=ids.astype(np.int64)), "hdmf-common",
          "ElementIdentifiers")
    typed(table.create_dataset("location", data=["CA1"] * n_rows, dtype=STR), "hdmf-common",
          "VectorData", description="location")
    typed(table.create_dataset("group", data=[shank.ref] * n_rows, dtype=h5py.ref_dtype),
          "hdmf-common", "VectorData", description="group")
    typed(table.create_dataset("group_name", data=["shank0"] * n_rows, dtype=STR),
          "hdmf-common", "VectorData", description="group name")
    if channel_names:
        typed(table.create_dataset("channel_name", data=channel_names, dtype=STR),
              "hdmf-common", "VectorData", description="channel names")
    return table


def electrical_series(f, name, data, table, region, rate=None, starting_time=0.0,
                      timestamps=None, conversion=1.0, offset=None, channel_conversion=None,
                      unit="volts", ntype=("core", "ElectricalSeries"), **create):
    es = typed(f["acquisition"].create_group(name), ntype[0], ntype[1],
               comments="no comments", description="test series " + name)
    d = es.create_dataset("data", data=data, **create)
    d.attrs["conversion"] = np.float32(conversion)
    if offset is not None:
        d.attrs["offset"] = np.float32(offset)
    d.attrs["resolution"] = np.float32(-1.0)
    d.attrs["unit"] = unit
    e = es.create_dataset("electrodes", data=np.asarray(region, dtype=np.int64))
    typed(e, "hdmf-common", "DynamicTableRegion", description="electrodes of this series")
    e.attrs["table"] = table.ref
    if timestamps is None:
        st = es.create_dataset("starting_time", data=np.float64(starting_time))
        st.attrs["rate"] = np.float32(rate)
        st.attrs["unit"] = "seconds"
    else:
        ts = es.create_dataset("timestamps", data=np.asarray(timestamps, dtype=np.float64))
        ts.attrs["interval"] = np.int32(1)
        ts.attrs["unit"] = "seconds"
    if channel_conversion is not None:
        cc = es.create_dataset("channel_conversion",
                               data=np.asarray(channel_conversion, dtype=np.float32))
        cc.attrs["axis"] = np.int32(1)
    return es


def volts(data, conversion=1.0, offset=None, channel_conversion=None):
    """The schema's formula in float64, channels x frames."""
    x = np.asarray(data)
    if x.ndim == 1:
        x = x[:, None]
    v = x.astype(np.float64) * np.float64(np.float32(conversion))
    if channel_conversion is not None:
        v = v * np.asarray(channel_conversion, dtype=np.float32).astype(np.float64)[None, :]
    if offset is not None:
        v = v + np.float64(np.float32(offset))
    return np.ascontiguousarray(v.T)


def reference(case, file, series, ref, ch_names, sfreq, unit="V"):
    np.save(os.path.join(OUT, case + ".ref.npy"), ref)
    with open(os.path.join(OUT, case + ".ref.json"), "w") as out:
        json.dump({"file": file, "series": series, "ch_names": ch_names, "sfreq": sfreq,
                   "ch_types": [], "highpass": None, "lowpass": None, "events": [],
                   "unit": unit}, out, indent=1)


def signal(frames, channels, scale, dtype):
    """Smooth noise plus white noise, so gzip has something to do."""
    walk = np.cumsum(RNG.normal(0, 1, (frames, channels)), axis=0)
    walk -= walk.mean(axis=0)
    x = walk * (scale / (np.abs(walk).max() + 1e-9)) + RNG.normal(0, scale / 50, walk.shape)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        x = np.clip(np.round(x - x.min() if info.min == 0 else x), info.min, info.max)
    return x.astype(dtype)


def path(name):
    return os.path.join(OUT, name)


# --- valid files -------------------------------------------------------------

def int16_gzip():
    """int16, chunks of 700 frames x 3 channels (edges inside both axes),
    gzip 4 + shuffle; channel_name column; region in a permuted order;
    conversion, offset and channel_conversion; starting_time + rate."""
    frames, ch = 6000, 8
    data = signal(frames, ch, 20000, np.int16)
    names = ["Ch%02d" % i for i in range(10)]
    region = [7, 2, 5, 0, 9, 1, 3, 6]
    cc = (1.0 + RNG.uniform(-0.2, 0.2, ch)).astype(np.float32)
    with nwb_file(path("int16_gzip.nwb")) as f:
        table = electrodes_table(f, 10, ids=np.arange(10) + 100, channel_names=names)
        electrical_series(f, "ElectricalSeries", data, table, region, rate=1000.0,
                          starting_time=3.25, conversion=1.95e-7, offset=2.5e-5,
                          channel_conversion=cc, chunks=(700, 3), compression="gzip",
                          compression_opts=4, shuffle=True)
    reference("int16_gzip", "int16_gzip.nwb", "", volts(data, 1.95e-7, 2.5e-5, cc),
              [names[i] for i in region], 1000.0)


def float32_contiguous():
    """float32 contiguous, NWB 2.2 (no offset attribute), no channel_name
    (names are the table's ids), timestamps regular with a little jitter."""
    frames, ch = 3000, 5
    data = signal(frames, ch, 1e-3, np.float32)
    rate = 2500.0
    t = 12.5 + np.arange(frames) / rate + RNG.uniform(-1e-5, 1e-5, frames) / rate
    with nwb_file(path("float32_contiguous.nwb"), nwb_version="2.2.5") as f:
        table = electrodes_table(f, 5, ids=[40, 41, 42, 43, 44])
        electrical_series(f, "raw", data, table, [0, 1, 2, 3, 4], timestamps=t)
    sfreq = (frames - 1) / (t[-1] - t[0])
    reference("float32_contiguous", "float32_contiguous.nwb", "", volts(data), 
              ["40", "41", "42", "43", "44"], float(sfreq))


def int16_1d():
    """1-D int16 (one channel), contiguous; the region picks row 2 of 4."""
    frames = 4000
    data = signal(frames, 1, 3000, np.int16)[:, 0]
    with nwb_file(path("int16_1d.nwb")) as f:
        table = electrodes_table(f, 4, channel_names=["a", "b", "c", "d"])
        electrical_series(f, "single", data, table, [2], rate=512.0, conversion=1e-6,
                          offset=0.0)
    reference("int16_1d", "int16_1d.nwb", "", volts(data, 1e-6, 0.0), ["c"], 512.0)


def two_series():
    """Two ElectricalSeries (int32 chunked uncompressed; uint16 gzip without
    shuffle) and a TimeSeries that is not one."""
    raw = signal(2000, 4, 1e6, np.int32)
    lfp = signal(500, 2, 30000, np.uint16)
    with nwb_file(path("two_series.nwb")) as f:
        table = electrodes_table(f, 4, channel_names=["e0", "e1", "e2", "e3"])
        electrical_series(f, "raw", raw, table, [0, 1, 2, 3], rate=30000.0, conversion=1e-9,
                          chunks=(256, 4))
        electrical_series(f, "lfp", lfp, table, [3, 1], rate=1250.0, conversion=5e-8,
                          offset=-1.6e-3, channel_conversion=[1.0, 0.5], chunks=(128, 1),
                          compression="gzip", compression_opts=6)
        acc = typed(f["acquisition"].create_group("accel"), "core", "TimeSeries",
                    comments="", description="not electrical")
        acc.create_dataset("data", data=np.zeros((10, 3), np.float32)).attrs["unit"] = "m/s^2"
        st = acc.create_dataset("starting_time", data=0.0)
        st.attrs["rate"] = np.float32(100.0)
    reference("two_series_raw", "two_series.nwb", "raw", volts(raw, 1e-9),
              ["e0", "e1", "e2", "e3"], 30000.0)
    reference("two_series_lfp", "two_series.nwb", "lfp",
              volts(lfp, 5e-8, -1.6e-3, [1.0, 0.5]), ["e3", "e1"], 1250.0)


def float64_millivolts():
    """float64, gzip without shuffle, a unit that is not volts."""
    data = signal(2500, 3, 2.0, np.float64)
    with nwb_file(path("float64_millivolts.nwb")) as f:
        table = electrodes_table(f, 3, channel_names=["x", "y", "z"])
        electrical_series(f, "ElectricalSeries", data, table, [0, 1, 2], rate=200.0,
                          conversion=1.0, unit="millivolts", chunks=(1000, 2),
                          compression="gzip", compression_opts=1)
    reference("float64_millivolts", "float64_millivolts.nwb", "", volts(data), ["x", "y", "z"],
              200.0, unit="millivolts")


def derived_type():
    """An extension type derived from ElectricalSeries (its spec cached in
    /specifications as pynwb does), beside a SpikeEventSeries (derived too,
    but snippets, not a recording)."""
    data = signal(1500, 2, 5000, np.int16)
    with nwb_file(path("derived_type.nwb")) as f:
        table = electrodes_table(f, 2, channel_names=["L", "R"])
        electrical_series(f, "ecog", data, table, [0, 1], rate=1000.0, conversion=1e-6,
                          ntype=("ndx-test", "MyElectricalSeries"))
        spikes = typed(f["acquisition"].create_group("spikes"), "core", "SpikeEventSeries",
                       comments="", description="snippets")
        spikes.create_dataset("data", data=np.zeros((5, 2, 20), np.float32))
        spikes.create_dataset("timestamps", data=np.arange(5.0))
        e = spikes.create_dataset("electrodes", data=np.array([0, 1]))
        e.attrs["table"] = table.ref
        spec = f.create_group("specifications")
        core = spec.create_group("core/2.5.0")
        core.create_dataset("namespace", data=json.dumps({"namespaces": [{
            "name": "core", "version": "2.5.0",
            "schema": [{"source": "nwb.ecephys"}]}]}), dtype=STR)
        core.create_dataset("nwb.ecephys", data=json.dumps({"groups": [
            {"neurodata_type_def": "ElectricalSeries", "neurodata_type_inc": "TimeSeries"},
            {"neurodata_type_def": "SpikeEventSeries", "neurodata_type_inc": "ElectricalSeries"},
        ]}), dtype=STR)
        ext = spec.create_group("ndx-test/0.1.0")
        ext.create_dataset("namespace", data=json.dumps({"namespaces": [{
            "name": "ndx-test", "version": "0.1.0",
            "schema": [{"namespace": "core"}, {"source": "ndx-test.extensions"}]}]}), dtype=STR)
        ext.create_dataset("ndx-test.extensions", data=json.dumps({"groups": [
            {"neurodata_type_def": "MyElectricalSeries",
             "neurodata_type_inc": "ElectricalSeries", "doc": "an ECoG series"}]}), dtype=STR)
    reference("derived_type", "derived_type.nwb", "", volts(data, 1e-6), ["L", "R"], 1000.0)


# --- broken files ------------------------------------------------------------

def small_valid(name, frames=200, ch=4, **kw):
    """A small valid int16 file, left open for a case to break."""
    data = signal(frames, ch, 1000, np.int16)
    f = nwb_file(path(name))
    table = electrodes_table(f, ch, channel_names=["c%d" % i for i in range(ch)])
    args = dict(rate=1000.0, conversion=1e-6, channel_conversion=np.ones(ch))
    args.update(kw)
    es = electrical_series(f, "es", data, table, list(range(ch)), **args)
    return f, es, table


def replace(group, name, data, **create):
    attrs = dict(group[name].attrs) if name in group else {}
    if name in group:
        del group[name]
    d = group.create_dataset(name, data=data, **create)
    for k, v in attrs.items():
        d.attrs[k] = v
    return d


def broken():
    cases = {}

    def case(name, edit=None, **kw):
        f, es, table = small_valid(name, **kw)
        if edit:
            edit(f, es, table)
        f.close()

    case("bad_rank.nwb", lambda f, es, t: replace(es, "data", np.zeros((10, 4, 2), np.int16)))
    case("bad_dtype.nwb", lambda f, es, t: replace(es, "data", np.zeros((10, 4), np.float16)))
    case("bad_no_rate.nwb", lambda f, es, t: es.__delitem__("starting_time"))
    case("bad_zero_rate.nwb", lambda f, es, t: es["starting_time"].attrs.__setitem__(
        "rate", np.float32(0.0)))
    case("bad_nan_rate.nwb", lambda f, es, t: es["starting_time"].attrs.__setitem__(
        "rate", np.float32(np.nan)))
    case("bad_huge_rate.nwb", lambda f, es, t: es["starting_time"].attrs.__setitem__(
        "rate", np.float64(1e12)))
    case("bad_rate_string.nwb", lambda f, es, t: es["starting_time"].attrs.__setitem__(
        "rate", "fast"))
    case("bad_electrodes_length.nwb", lambda f, es, t: replace(es, "electrodes", [0, 1, 2]))
    case("bad_electrodes_index.nwb", lambda f, es, t: replace(es, "electrodes", [0, 1, 9, 2]))
    case("bad_electrodes_negative.nwb",
         lambda f, es, t: replace(es, "electrodes", [0, -1, 2, 3]))
    case("bad_electrodes_no_table.nwb",
         lambda f, es, t: es["electrodes"].attrs.__delitem__("table"))
    case("bad_electrodes_missing.nwb", lambda f, es, t: es.__delitem__("electrodes"))
    case("bad_electrodes_float.nwb",
         lambda f, es, t: replace(es, "electrodes", [0.0, 1.0, 2.0, 3.0]))
    case("bad_channel_conversion_length.nwb",
         lambda f, es, t: replace(es, "channel_conversion", np.ones(3, np.float32)))
    case("bad_channel_conversion_axis.nwb",
         lambda f, es, t: es["channel_conversion"].attrs.__setitem__("axis", np.int32(0)))
    case("bad_channel_conversion_nan.nwb", lambda f, es, t: replace(
        es, "channel_conversion", np.array([1, np.nan, 1, 1], np.float32)))
    case("bad_conversion_nan.nwb",
         lambda f, es, t: es["data"].attrs.__setitem__("conversion", np.float32(np.inf)))
    case("bad_conversion_string.nwb",
         lambda f, es, t: es["data"].attrs.__setitem__("conversion", "one"))
    case("bad_offset_nan.nwb",
         lambda f, es, t: es["data"].attrs.__setitem__("offset", np.float32(np.nan)))
    case("bad_channel_name_length.nwb",
         lambda f, es, t: replace(t, "channel_name", ["a", "b"], dtype=STR))
    case("bad_channel_name_type.nwb",
         lambda f, es, t: replace(t, "channel_name", np.arange(4)))
    case("bad_empty_data.nwb", lambda f, es, t: replace(es, "data", np.zeros((0, 4), np.int16)))
    case("bad_too_many_channels.nwb", lambda f, es, t: replace(
        es, "data", None, shape=(2, 70000), dtype=np.int16, chunks=(2, 1000)))
    case("bad_too_many_frames.nwb", lambda f, es, t: replace(
        es, "data", None, shape=(2**55, 4), dtype=np.int16, chunks=(1024, 4)))
    case("bad_data_larger_than_file.nwb", lambda f, es, t: replace(
        es, "data", None, shape=(10**7, 4), dtype=np.int16, chunks=(1000, 4),
        compression="gzip"))
    case("bad_scalar_data.nwb", lambda f, es, t: replace(es, "data", np.int16(3)))
    case("bad_lzf.nwb", lambda f, es, t: replace(es, "data", np.zeros((200, 4), np.int16),
                                                  chunks=(50, 4), compression="lzf"))
    case("bad_external_storage.nwb", lambda f, es, t: replace(
        es, "data", None, shape=(200, 4), dtype=np.int16,
        external=[("samples.bin", 0, 200 * 4 * 2)]))

    def no_series(f, es, t):
        del f["acquisition/es"]
        typed(f["acquisition"].create_group("accel"), "core", "TimeSeries")
    case("bad_no_series.nwb", no_series)
    case("bad_no_acquisition.nwb", lambda f, es, t: f.__delitem__("acquisition"))
    case("bad_no_nwb_version.nwb", lambda f, es, t: f.attrs.__delitem__("nwb_version"))
    case("bad_nwb_version.nwb", lambda f, es, t: f.attrs.__setitem__("nwb_version", "1.0.6"))

    def external_link(f, es, t):
        f["acquisition/elsewhere"] = h5py.ExternalLink("other.nwb", "/acquisition/es")
        del f["acquisition/es"]
    case("bad_external_link.nwb", external_link)

    def timestamps(values):
        def edit(f, es, t):
            del es["starting_time"]
            es.create_dataset("timestamps", data=np.asarray(values, np.float64))
        return edit

    regular = np.arange(200) / 1000.0
    case("bad_timestamps_length.nwb", timestamps(regular[:150]))
    gap = regular.copy()
    gap[120:] += 0.0005
    case("bad_timestamps_irregular.nwb", timestamps(gap))
    nan = regular.copy()
    nan[50] = np.nan
    case("bad_timestamps_nan.nwb", timestamps(nan))
    case("bad_timestamps_backwards.nwb", timestamps(regular[::-1]))
    case("bad_timestamps_one.nwb", timestamps([0.5]), frames=1)

    with open(path("bad_not_hdf5.nwb"), "w") as out:
        out.write("this is not an HDF5 file\n" * 10)
    return cases


def truncated():
    """Files cut inside their samples; each .json names the first frame that
    is missing (the reader must say so, not read zeros)."""
    # Contiguous: the samples are the last thing in the file.
    data = signal(5000, 4, 1000, np.int16)
    name = "truncated_contiguous.nwb"
    with nwb_file(path(name)) as f:
        table = electrodes_table(f, 4)
        es = electrical_series(f, "es", np.zeros((1, 1), np.int16), table, [0, 1, 2, 3],
                               rate=1000.0)
        replace(es, "data", data)
        offset = es["data"].id.get_offset()
    size = os.path.getsize(path(name))
    assert offset + data.nbytes == size, (offset, data.nbytes, size)
    cut = offset + 3000 * 8 + 5  # inside frame 3000
    os.truncate(path(name), cut)
    with open(path("truncated_contiguous.json"), "w") as out:
        json.dump({"first_missing_frame": 3000}, out)

    # Chunked, gzip: cut inside the last chunk written.
    name = "truncated_chunked.nwb"
    with nwb_file(path(name)) as f:
        table = electrodes_table(f, 4)
        es = electrical_series(f, "es", np.zeros((1, 1), np.int16), table, [0, 1, 2, 3],
                               rate=1000.0)
        replace(es, "data", data, chunks=(1000, 4), compression="gzip")
        infos = [es["data"].id.get_chunk_info_by_coord((k * 1000, 0)) for k in range(5)]
    last = max(range(5), key=lambda k: infos[k].byte_offset)
    os.truncate(path(name), infos[last].byte_offset + infos[last].size // 2)
    first = min(k for k in range(5)
                if infos[k].byte_offset + infos[k].size > os.path.getsize(path(name)))
    with open(path("truncated_chunked.json"), "w") as out:
        json.dump({"first_missing_frame": first * 1000}, out)


def userblock():
    """A file with a 512-byte user block before the HDF5 superblock (HDF5
    addresses are relative to it), whole and cut inside its samples."""
    data = signal(1000, 2, 1000, np.int16)
    for name in ("userblock.nwb", "truncated_userblock.nwb"):
        f = h5py.File(path(name), "w", userblock_size=512)
        f.close()
        with h5py.File(path(name), "a") as f:
            f.attrs["nwb_version"] = "2.5.0"
            typed(f, "core", "NWBFile")
            f.require_group("acquisition")
            table = electrodes_table(f, 2, channel_names=["u0", "u1"])
            es = electrical_series(f, "es", np.zeros((1, 1), np.int16), table, [0, 1],
                                   rate=100.0, conversion=1e-6)
            replace(es, "data", data)
            offset = es["data"].id.get_offset()
    assert offset + data.nbytes == os.path.getsize(path("truncated_userblock.nwb"))
    os.truncate(path("truncated_userblock.nwb"), offset + 700 * 4 + 1)
    with open(path("truncated_userblock.json"), "w") as out:
        json.dump({"first_missing_frame": 700}, out)
    reference("userblock", "userblock.nwb", "", volts(data, 1e-6), ["u0", "u1"], 100.0)


def corrupt_chunk():
    """gzip chunks of 1000 frames; the chunk at frame 2000 has its deflate
    stream damaged (zlib's checksum catches it)."""
    data = signal(5000, 4, 1000, np.int16)
    name = "corrupt_chunk.nwb"
    with nwb_file(path(name)) as f:
        table = electrodes_table(f, 4)
        es = electrical_series(f, "es", data, table, [0, 1, 2, 3], rate=1000.0,
                               chunks=(1000, 4), compression="gzip", shuffle=True)
        info = es["data"].id.get_chunk_info_by_coord((2000, 0))
    with open(path(name), "r+b") as out:
        out.seek(info.byte_offset + info.size // 2)
        out.write(bytes(16))


def bench():
    frames, ch = 600000, 64
    data = signal(frames, ch, 2000, np.int16)
    for name, create in (("bench_raw.nwb", {}),
                         ("bench_gzip.nwb", dict(chunks=(10000, 64), compression="gzip",
                                                 compression_opts=4, shuffle=True)),
                         ("bench_gzip_noshuffle.nwb", dict(chunks=(10000, 64),
                                                           compression="gzip",
                                                           compression_opts=4))):
        with nwb_file(path(name)) as f:
            table = electrodes_table(f, ch)
            electrical_series(f, "ElectricalSeries", data, table, list(range(ch)),
                              rate=1000.0, conversion=1.95e-7, **create)


def fuzz_corpus():
    """Minimal seeds for tests/fuzz/corpus/nwb_fuzz (a few KB each): just
    what the reader looks at, valid and broken."""
    # Fixed-length strings (np.bytes_) except in one seed: variable-length
    # strings live in HDF5's global heap, whose decoder in HDF5 1.10.8
    # hangs or crashes on most mutations, which would keep the fuzzer there.
    def minimal(name, data, names=True, timestamps=False, vlen=False, **create):
        text = (lambda v: v) if vlen else np.bytes_
        with h5py.File(path(name), "w", libver="latest") as f:
            f.attrs["nwb_version"] = text("2.5.0")
            acq = f.create_group("acquisition")
            table = f.create_group("general/extracellular_ephys/electrodes")
            ch = 1 if data.ndim == 1 else data.shape[1]
            table.create_dataset("id", data=np.arange(ch))
            if names:
                table.create_dataset("channel_name", data=["c%d" % i for i in range(ch)],
                                     dtype=STR if vlen else "S4")
            es = acq.create_group("es")
            es.attrs["neurodata_type"] = text("ElectricalSeries")
            d = es.create_dataset("data", data=data, **create)
            d.attrs["conversion"] = np.float32(1e-6)
            d.attrs["unit"] = text("volts")
            e = es.create_dataset("electrodes", data=np.arange(ch))
            e.attrs["table"] = table.ref
            if timestamps:
                es.create_dataset("timestamps", data=np.arange(data.shape[0]) / 100.0)
            else:
                es.create_dataset("starting_time", data=0.0).attrs["rate"] = np.float32(100.0)
            es.create_dataset("channel_conversion", data=np.ones(ch, np.float32))
    x = signal(40, 3, 1000, np.int16)
    minimal("contiguous", x)
    minimal("vlen_strings", x, vlen=True)
    minimal("gzip_shuffle", x, chunks=(16, 2), compression="gzip", shuffle=True)
    minimal("gzip_float32", x.astype(np.float32), names=False, chunks=(16, 3),
            compression="gzip")
    minimal("timestamps_1d", x[:, 0].astype(np.uint16), timestamps=True)
    minimal("int32_chunked", x.astype(np.int32), chunks=(7, 3))
    minimal("fletcher32", x, chunks=(16, 3), fletcher32=True)
    with open(path("not_hdf5"), "wb") as out:
        out.write(b"\x89HDF\r\n\x1a\n" + bytes(64))
    raw = open(path("gzip_shuffle"), "rb").read()
    with open(path("truncated"), "wb") as out:
        out.write(raw[: len(raw) * 2 // 3])


def main():
    os.makedirs(OUT, exist_ok=True)
    if "--fuzz-corpus" in sys.argv[2:]:
        fuzz_corpus()
        return
    int16_gzip()
    float32_contiguous()
    int16_1d()
    two_series()
    float64_millivolts()
    derived_type()
    broken()
    truncated()
    userblock()
    corrupt_chunk()
    if "--bench" in sys.argv[2:]:
        bench()


if __name__ == "__main__":
    main()
