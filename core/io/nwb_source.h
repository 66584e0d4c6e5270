// File: nwb_source.h
//
// OpenNwb(): an ElectricalSeries of an NWB 2.x file (HDF5), as pynwb and
// SpikeInterface's NwbRecordingExtractor read it, as a TraceSource of
// float64 volts with random access by frame range.
//
// What is read (NWB schema 2.x, ElectricalSeries / TimeSeries /
// DynamicTableRegion):
// - The series: every group directly under /acquisition whose attribute
//   neurodata_type is "ElectricalSeries", or an extension type that the
//   file's cached specification (/specifications/<namespace>/<version>/*,
//   as pynwb writes it) derives from ElectricalSeries (SpikeEventSeries and
//   its subtypes are snippets, not recordings, and are left out).
//   ReaderOptions::nwb_series picks one by name; empty: the only one.
// - data: (frames, channels) or (frames) (one channel), int16, uint16,
//   int32, float32 or float64, contiguous, compact or chunked; chunks may be
//   uncompressed, gzip, shuffle + gzip, or use another filter built into
//   HDF5 (fletcher32, szip, nbit, scaleoffset). Filters that HDF5 would load
//   from a plugin are refused, as are external raw storage and virtual
//   datasets (their samples live in other files).
// - Values: volts = data x conversion x channel_conversion[c] + offset,
//   evaluated in float64 in that order (attributes conversion, default 1,
//   and offset, default 0 (NWB >= 2.5), on data; the optional dataset
//   channel_conversion, one per channel). The data's unit attribute should
//   be "volts": then RecordingInfo::unit is "V" and gain_to_uv 1e6. Any
//   other unit is kept going with: unit is what the file says (e.g.
//   "millivolts"), the values are data x conversion ... in that unit, and
//   gain_to_uv / offset_to_uv are left empty. A missing unit counts as volts.
// - Rate: starting_time's attribute rate; else timestamps (float64 s):
//   rate = (n - 1) / (t[n-1] - t[0]), and every step must lie within 1e-3 of
//   that period of it (checked in bounded chunks, never the whole array at
//   once); otherwise InvalidArgument naming the largest deviation and where.
// - Channel names: the electrodes region's rows of the table its `table`
//   attribute references: that table's channel_name column if present, else
//   its id values (SpikeInterface's rule), in the region's order.
//   channel_types stay empty (NWB does not say EEG or not); no band; no
//   events.
//
// Reads: a frame range is read by hyperslab, never the whole dataset. The
// HDF5 library (thread-safe build) serializes every call behind one lock,
// decompression included; so gzip (with or without shuffle) chunks are
// fetched raw with H5Dread_chunk under that lock and inflated (and
// unshuffled) outside it, so several threads decompress at once. A source
// keeps its most recently decoded chunks (at most 32 MiB, 64 chunks; none
// when a chunk exceeds 16 MiB) so that reads shorter than a chunk do not
// inflate it again; a chunk is inflated once even when several threads
// want it at the same time. Other layouts and filters go through H5Dread.
// Measured on 64 channels x 10 min at 1 kHz int16 (2 shared cores, per
// CPU-second): contiguous ~2.4-2.7 GB/s; chunks of 10000 x 64, gzip 4 +
// shuffle ~0.6 GB/s, gzip 4 alone ~0.2 GB/s (zlib's inflate bound).
//
// Safety: the file is opened through OpenRegularFile (a FIFO is refused,
// not waited on); NWB's samples live in the one file, so nothing goes
// through ReaderOptions::resolve: external links, external raw storage and
// virtual datasets, which would open other files by name, are refused
// instead. A file shorter than HDF5's end-of-allocation address is
// DataLoss naming the first frame whose bytes are missing (HDF5 itself
// would read zeros there); a dataset claiming more values than its file
// could hold (1100:1 when compressed) is refused before anything loops over
// it. HDF5's error printing is silenced and its messages are folded into
// the statuses.
//
// Limits of HDF5 1.10.8 itself (Debian 12), found by fuzzing: its global
// heap decoder (H5HG, behind every variable-length string such as
// nwb_version) can loop forever, read out of bounds or crash on a crafted
// collection, and its object-header decoder leaks a little memory on some
// corrupt headers. Nothing here can prevent that short of a newer HDF5 or
// opening untrusted files in a separate process.
//
// Example:
//   ReaderOptions options;
//   options.nwb_series = "ElectricalSeries";
//   NF_ASSIGN_OR_RETURN(OpenedRecording rec, OpenNwb("/data/x.nwb", options));
//   NF_ASSIGN_OR_RETURN(Traces volts, rec.source->GetTraces(0, 1000));
#ifndef NEUROFEAT_CORE_IO_NWB_SOURCE_H_
#define NEUROFEAT_CORE_IO_NWB_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"

namespace neurofeat {

// OpenNwb() opens `path` and the ElectricalSeries options.nwb_series names.
// The source it returns is immutable and safe to read from several threads.
// Errors: NotFound (no such file; a series name that is not there, listing
// the names), InvalidArgument (not a regular file, not HDF5, not NWB 2.x,
// several series and none chosen (listing them), a field out of range,
// naming the file, the object and the value; unsupported variants, saying
// what is not supported), DataLoss (the file is cut short: the first frame
// missing). GetTraces(): OutOfRange, DataLoss naming a chunk that cannot be
// read or inflated.
absl::StatusOr<OpenedRecording> OpenNwb(const std::string& path, const ReaderOptions& options);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_NWB_SOURCE_H_
