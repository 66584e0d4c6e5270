// File: preprocess_job.h
//
// PreprocessJob: one preprocessing request (the chain over a frame range of
// continuous traces), validated once and run chunk by chunk on
// SpikeInterface's grid. The server's Preprocess RPC and the CLI's
// `preprocess` come here, so both compute the same chunks.
//
// Example:
//   NF_ASSIGN_OR_RETURN(auto job, PreprocessJob::Create(std::move(spec)));
//   while (true) {
//     NF_ASSIGN_OR_RETURN(std::optional<TraceChunk> c, job->NextChunk());
//     if (!c) break;
//     ...
//   }
#ifndef NEUROFEAT_CORE_JOB_PREPROCESS_JOB_H_
#define NEUROFEAT_CORE_JOB_PREPROCESS_JOB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/job/recording_input.h"
#include "core/preprocess/chunked_runner.h"
#include "core/preprocess/preprocess_chain.h"

namespace neurofeat {

struct PreprocessSpec {
  RecordingInput input;
  ChainSpec chain;
  // Frames [start_frame, end_frame) of the output. Default: the whole
  // recording.
  int64_t start_frame = 0;
  std::optional<int64_t> end_frame;
  // float32 or int16; default: int16 for int16 input without scaling, else
  // float32.
  std::optional<SampleType> output_type;
  // Frames per chunk; 0: one second. A chunk longer than the range is the
  // range. Default: 0.
  int64_t chunk_frames = 0;
};

struct TraceChunk {
  int64_t first_frame = 0;
  Traces traces;
};

class PreprocessJob {
 public:
  // Errors: InvalidArgument naming the field (epochs input, output type,
  // frame range, chunk, any step).
  static absl::StatusOr<std::unique_ptr<PreprocessJob>> Create(PreprocessSpec spec);

  const std::vector<std::string>& channel_names() const {
    return chain_->output().info().channel_ids;
  }
  int64_t channels() const { return chain_->output().num_channels(); }
  int64_t start_frame() const { return start_; }
  int64_t end_frame() const { return end_; }
  int64_t total_frames() const { return end_ - start_; }
  int64_t chunk_frames() const { return chunk_frames_; }
  int64_t total_chunks() const { return grid_.size(); }
  SampleType output_type() const { return output_type_; }
  const std::string& chain_canonical() const { return chain_->canonical(); }
  const RecordingInput& input() const { return input_; }
  // Bytes of one chunk's samples.
  int64_t chunk_bytes() const;
  // What the job holds at most: the input in memory, the chain's largest
  // step on one chunk, and `chunks_in_flight` output chunks (computed ahead
  // or being sent).
  int64_t WorkingSetBytes(int chunks_in_flight) const;

  void set_cancelled(std::function<bool()> cancelled) { cancelled_ = std::move(cancelled); }
  // NextChunk() computes the next chunk (parallel loops: call it on the
  // compute arena); nullopt after the last. Cancelled once `cancelled`
  // says so.
  absl::StatusOr<std::optional<TraceChunk>> NextChunk();
  // Chunk(i) computes chunk i of the grid, independently of the others
  // (each chunk reads its own margins): chunks may be computed ahead.
  absl::StatusOr<TraceChunk> Chunk(int64_t i) const;

 private:
  PreprocessJob(RecordingInput input, int64_t start, int64_t end, int64_t chunk)
      : input_(std::move(input)),
        start_(start),
        end_(end),
        chunk_frames_(chunk),
        grid_(start, end, chunk) {}

  RecordingInput input_;
  std::unique_ptr<PreprocessChain> chain_;
  int64_t start_ = 0, end_ = 0, chunk_frames_ = 0;
  ChunkGrid grid_;
  int64_t next_ = 0;
  SampleType output_type_ = SampleType::kFloat32;
  std::function<bool()> cancelled_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_JOB_PREPROCESS_JOB_H_
