// File: outputs.h
//
// Where the CLI's results go: a feature table to CSV or NPY, and traces to
// an .npy written chunk by chunk. Both write OUT.partial and rename it when
// complete, so a failed or interrupted run leaves no truncated output.
#ifndef NEUROFEAT_CLIENT_CLI_OUTPUTS_H_
#define NEUROFEAT_CLIENT_CLI_OUTPUTS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/features/extract.h"
#include "core/io/npy.h"
#include "core/traces.h"

namespace neurofeat::client {

// CheckTableOutput(): OUT.csv or OUT.npy, else InvalidArgument naming
// --output.
absl::Status CheckTableOutput(const std::string& output);
// WriteTable() writes CSV (with --include-metadata columns when asked) or
// NPY by the extension.
absl::Status WriteTable(const std::string& output, const FeatureTable& table, bool include_metadata,
                        const std::string& recording);

// TraceFile receives traces in order and writes them to an .npy.
class TraceFile {
 public:
  explicit TraceFile(std::string output) : output_(std::move(output)) {}
  ~TraceFile();
  // Begin() fixes the shape; Append() takes the next frames' bytes.
  absl::Status Begin(int64_t frames, int64_t channels, SampleType type);
  absl::Status Append(const void* data, size_t bytes, int64_t frames);
  // Finish() checks every frame arrived and renames OUT.partial to OUT.
  absl::Status Finish();
  bool begun() const { return writer_ != nullptr; }
  int64_t frames() const { return frames_; }
  int64_t channels() const { return channels_; }
  int64_t row_bytes() const { return row_bytes_; }
  SampleType type() const { return type_; }

 private:
  std::string output_;
  std::unique_ptr<NpyWriter> writer_;
  int64_t expected_frames_ = 0;
  int64_t row_bytes_ = 0;
  int64_t channels_ = 0;
  SampleType type_ = SampleType::kFloat32;
  int64_t frames_ = 0;
  bool done_ = false;
};

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_OUTPUTS_H_
