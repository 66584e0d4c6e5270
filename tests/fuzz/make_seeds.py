#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

Seeds are small valid inputs and near-misses, so the fuzzers start from the
formats' shapes. Run with Debian's python3 (numpy, protobuf) from the source
root after a build (the request seeds use the generated Python stubs made
here with protoc):  /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import io
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, name, data):
  d = os.path.join(CORPUS, target)
  os.makedirs(d, exist_ok=True)
  if isinstance(data, str):
    data = data.encode()
  with open(os.path.join(d, name), "wb") as f:
    f.write(data)


def npy_bytes(array):
  buf = io.BytesIO()
  np.save(buf, array)
  return buf.getvalue()


def npy_seeds():
  rng = np.random.default_rng(1)
  put("npy_fuzz", "i16_2d", npy_bytes(rng.integers(-100, 100, (16, 4)).astype("<i2")))
  put("npy_fuzz", "f32_2d", npy_bytes(rng.standard_normal((8, 3)).astype("<f4")))
  put("npy_fuzz", "f64_3d", npy_bytes(rng.standard_normal((2, 3, 4))))
  put("npy_fuzz", "empty_dim", npy_bytes(np.zeros((0, 5), "<f4")))
  put("npy_fuzz", "fortran", npy_bytes(np.asfortranarray(np.zeros((3, 2), "<f4"))))
  v2 = bytearray(npy_bytes(np.zeros((4, 2), "<i2")))
  put("npy_fuzz", "truncated", bytes(v2[:-3]))


def edf_seeds():
  with open(os.path.join(ROOT, "tests", "data", "realdata", "edf_2records.edf"), "rb") as f:
    edf = f.read()
  put("edf_fuzz", "real_2records", edf)
  put("edf_fuzz", "header_only", edf[:256 * 3])
  bdf = bytearray(edf)
  bdf[0] = 0xFF
  put("edf_fuzz", "bdf_marker", bytes(bdf))


def spikeglx_seeds():
  rng = np.random.default_rng(2)
  samples = rng.integers(-500, 500, (20, 5)).astype("<i2").tobytes()
  imro = "(0,384)" + "".join(f"({c} 0 0 500 250 1)" for c in range(4))
  meta = (f"imSampRate=30000\nnSavedChans=5\nsnsApLfSy=4,0,1\nimAiRangeMax=0.6\n"
          f"imMaxInt=512\nfileSizeBytes={len(samples)}\n~imroTbl={imro}\n")
  put("spikeglx_meta_fuzz", "np1_ap", meta.encode() + b"\n--\n" + samples)
  put("spikeglx_meta_fuzz", "nidq",
      b"niSampRate=25000\nnSavedChans=5\nsnsMnMaXaDw=2,1,1,1\nniAiRangeMax=5\n--\n" + samples)
  put("spikeglx_meta_fuzz", "zero_channels", "imSampRate=30000\nnSavedChans=0\n--\n")


def oebin_seeds():
  rng = np.random.default_rng(3)
  dat = rng.integers(-500, 500, (30, 3)).astype("<i2").tobytes()
  chans = ",".join('{"channel_name": "CH%d", "bit_volts": 0.195, "units": "uV"}' % c
                   for c in range(3))
  oebin = ('{"continuous": [{"folder_name": "s0/", "sample_rate": 30000, "num_channels": 3, '
           '"channels": [' + chans + ']}]}')
  put("oebin_fuzz", "three_channels", oebin.encode() + b"\n--\n" + dat)
  put("oebin_fuzz", "no_channels_list",
      b'{"continuous": [{"folder_name": "s0/", "sample_rate": 1000, "num_channels": 3}]}\n--\n' +
      dat)


def pipeline_seeds():
  for folder in ("examples", os.path.join("tests", "data", "eegdash")):
    for name in sorted(os.listdir(os.path.join(ROOT, folder))):
      if name.endswith(".json"):
        with open(os.path.join(ROOT, folder, name)) as f:
          put("pipeline_json_fuzz", name, f.read())
  put("pipeline_json_fuzz", "local_reference",
      '{"preprocess": [{"highpass": {"freq_min": 1, "margin_ms": 100}}, '
      '{"common_reference": {"reference": "local", "local_radius": [0, 30]}}], '
      '"window": {"size_samples": 256}, '
      '"features": [{"name": "c", "preprocessor": {"fn": "connectivity_coherency_preprocessor"}, '
      '"features": [{"name": "m", "fn": "connectivity_magnitude_square_coherence"}]}]}')


def request_seeds():
  tmp = tempfile.mkdtemp()
  try:
    proto_dir = os.path.join(ROOT, "proto")
    subprocess.check_call(["protoc", "-I", proto_dir, "--python_out", tmp,
                           "neurofeat/v1/pipeline.proto", "neurofeat/v1/service.proto"])
    open(os.path.join(tmp, "neurofeat", "__init__.py"), "w").close()
    open(os.path.join(tmp, "neurofeat", "v1", "__init__.py"), "w").close()
    sys.path.insert(0, tmp)
    from google.protobuf import json_format
    from neurofeat.v1 import service_pb2
    extract = service_pb2.ExtractRequest()
    extract.recording.path.path = "x.npy"
    extract.recording.sampling_rate_hz = 1000
    json_format.Parse('{"window": {"size_samples": 500}, "features": [{"name": "v", '
                      '"fn": "signal_variance"}]}', extract.pipeline)
    put("request_fuzz", "extract_path", b"\x00" + extract.SerializeToString())
    inline = service_pb2.ExtractRequest()
    inline.recording.samples.dtype = service_pb2.FLOAT32
    inline.recording.samples.shape.extend([2, 3, 64])
    inline.recording.samples.data = np.zeros((2, 3, 64), "<f4").tobytes()
    inline.recording.sampling_rate_hz = 64
    json_format.Parse('{"features": [{"name": "v", "fn": "signal_variance"}]}', inline.pipeline)
    put("request_fuzz", "extract_epochs", b"\x02" + inline.SerializeToString())
    pre = service_pb2.PreprocessRequest()
    pre.recording.path.path = "x.npy"
    pre.recording.sampling_rate_hz = 1000
    json_format.Parse('{"preprocess": [{"bandpass": {"freq_min": 10, "freq_max": 200}}, '
                      '{"common_reference": {}}]}', pre.pipeline)
    pre.chunk_frames = 1000
    put("request_fuzz", "preprocess_path", b"\x01" + pre.SerializeToString())
  finally:
    shutil.rmtree(tmp)


if __name__ == "__main__":
  npy_seeds()
  edf_seeds()
  spikeglx_seeds()
  oebin_seeds()
  pipeline_seeds()
  request_seeds()
