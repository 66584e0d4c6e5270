#include "client/cli/outputs.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace neurofeat::client {

absl::Status CheckTableOutput(const std::string& output) {
  if (!absl::EndsWith(output, ".csv") && !absl::EndsWith(output, ".npy")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--output=", output, " must end in .csv or .npy"));
  }
  return absl::OkStatus();
}

absl::Status WriteTable(const std::string& output, const FeatureTable& table, bool include_metadata,
                        const std::string& recording) {
  if (absl::EndsWith(output, ".csv")) {
    return WriteFeatureCsv(output, table, include_metadata, recording);
  }
  return WriteFeatureNpy(output, table);
}

TraceFile::~TraceFile() {
  if (writer_ != nullptr && !done_) {
    writer_.reset();
    std::remove((output_ + ".partial").c_str());
  }
}

absl::Status TraceFile::Begin(int64_t frames, int64_t channels, SampleType type) {
  if (type == SampleType::kFloat64) return absl::InternalError("float64 traces are not written");
  expected_frames_ = frames;
  row_bytes_ = channels * static_cast<int64_t>(SampleTypeSize(type));
  channels_ = channels;
  type_ = type;
  NF_ASSIGN_OR_RETURN(
      writer_, NpyWriter::Create(output_ + ".partial",
                                 type == SampleType::kInt16 ? NpyDtype::kInt16 : NpyDtype::kFloat32,
                                 {frames, channels}));
  return absl::OkStatus();
}

absl::Status TraceFile::Append(const void* data, size_t bytes, int64_t frames) {
  if (writer_ == nullptr) return absl::DataLossError("traces arrived before their shape");
  if (frames < 0 || static_cast<int64_t>(bytes) != frames * row_bytes_) {
    return absl::DataLossError(absl::StrCat("a chunk of ", frames, " frames holds ", bytes,
                                            " bytes, not ", frames * row_bytes_));
  }
  frames_ += frames;
  if (frames_ > expected_frames_) {
    return absl::DataLossError(
        absl::StrCat("more than the ", expected_frames_, " frames announced"));
  }
  return writer_->AppendBytes(data, bytes);
}

absl::Status TraceFile::Finish() {
  if (writer_ == nullptr) return absl::DataLossError("no traces arrived");
  if (frames_ != expected_frames_) {
    return absl::DataLossError(
        absl::StrCat("received ", frames_, " of ", expected_frames_, " frames"));
  }
  NF_RETURN_IF_ERROR(writer_->Finish());
  const std::string partial = output_ + ".partial";
  if (std::rename(partial.c_str(), output_.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", partial, " to ", output_));
  }
  done_ = true;
  return absl::OkStatus();
}

}  // namespace neurofeat::client
