// File: recording_input.h
//
// RecordingInput: a recording as a job reads it, whatever it came from
// (inline samples, an upload, a file under a data root, a local file of the
// CLI): continuous traces or pre-cut epochs, what features see of it (rate,
// channel names, applied band), an optional scale-to-µV step, and what
// identifies its samples for the result cache. The API edge (api/) makes
// one from a neurofeat.v1.Recording; the jobs (extraction_job.h,
// preprocess_job.h) are created from it.
//
// Example:
//   RecordingInput in;
//   in.source = std::make_shared<InMemorySource>(std::move(traces), info);
//   in.signal = {info.sampling_rate_hz, info.channel_ids};
#ifndef NEUROFEAT_CORE_JOB_RECORDING_INPUT_H_
#define NEUROFEAT_CORE_JOB_RECORDING_INPUT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/features/feature_kernel.h"
#include "core/features/windows.h"
#include "core/io/reader_options.h"
#include "core/preprocess/scale_step.h"
#include "core/source/trace_source.h"

namespace neurofeat {

struct RecordingInput {
  // Exactly one of the three: continuous (frames, channels) traces, epochs
  // held in memory, or epochs read a block at a time from an .npy file.
  std::shared_ptr<const TraceSource> source;
  std::shared_ptr<const Windows> epochs;
  std::optional<EpochsFile> epochs_file;

  bool has_epochs() const { return epochs != nullptr || epochs_file.has_value(); }
  int64_t epoch_times() const { return epochs != nullptr ? epochs->n_times : epochs_file->n_times; }
  int64_t channels() const { return static_cast<int64_t>(signal.channels.size()); }

  // What features see: rate, channel names, the band already applied.
  SignalInfo signal;
  // Convert to µV (gains, offsets) before the chain: the first step.
  std::optional<ScaleOptions> scale;

  // What identifies the samples in cache descriptors: the file holding
  // them (its digest is remembered by file identity), or bytes held in
  // memory (REQUIRES: they outlive every job made from this input).
  std::string content_file;
  const std::string* content_bytes = nullptr;
  // Further files whose content is part of the recording (the other parts
  // of a split FIF, ...), digested after content_file.
  std::vector<std::string> more_content_files;
  // The source's own description (format, frames, channels, dtype, gains),
  // part of the descriptor: the same bytes read another way are not the
  // same recording.
  std::string source_descriptor;

  // The reader that opened the file ("edf", "brainvision", ...; "" for
  // inline samples), and the unit of the values it gives ("V" for EEG
  // formats, as MNE's get_data(); "" for stored integer samples).
  std::string format;
  std::string unit;
  // Events stored with the recording (markers, annotations), in onset
  // order, for windows cut around events.
  std::vector<RecordingEvent> events;

  // Bytes of one stored frame (for throughput counts).
  int64_t frame_bytes = 0;
  // Bytes this input holds in memory for its lifetime (inline samples,
  // decoded epochs): part of every job's working set.
  int64_t held_bytes = 0;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_JOB_RECORDING_INPUT_H_
