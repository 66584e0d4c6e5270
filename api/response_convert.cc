#include "api/response_convert.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/dtype_convert.h"
#include "core/checked_math.h"
#include "core/version.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace neurofeat::api {
namespace {

// What a row costs in a message: a double per column (packed) and a
// start sample, with some framing.
int64_t RowBytes(int64_t columns) { return SaturatingAdd(SaturatingMul(columns, 9), 16); }

// Room for the header fields of a message (meta, the first message's
// column names are counted separately).
constexpr int64_t kMessageOverheadBytes = 65536;

}  // namespace

std::string PipelineDigest(const v1::Pipeline& pipeline) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    pipeline.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  for (unsigned char b : digest) absl::StrAppendFormat(&hex, "%02x", b);
  return hex;
}

v1::ResponseMeta MakeResponseMeta(const v1::Pipeline& pipeline) {
  v1::ResponseMeta meta;
  meta.set_engine_version(kEngineVersion);
  meta.set_pipeline_digest(PipelineDigest(pipeline));
  return meta;
}

absl::StatusOr<int64_t> RowsPerMessage(int64_t requested, int64_t columns,
                                       int64_t max_message_bytes) {
  if (requested < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rows_per_message: must be >= 0, got ", requested));
  }
  const int64_t row_bytes = RowBytes(columns);
  int64_t rows = requested;
  if (rows == 0) {
    rows = std::max<int64_t>(1, std::min<int64_t>(256, (max_message_bytes / 2) / row_bytes));
  }
  if (SaturatingAdd(SaturatingMul(rows, row_bytes), kMessageOverheadBytes) > max_message_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("rows_per_message: ", rows, " rows of ", columns,
                                                   " columns exceed the server's message limit of ",
                                                   max_message_bytes, " bytes"));
  }
  return rows;
}

std::vector<v1::ExtractResponse> ExtractResponses(const FeatureTable& block,
                                                  const ExtractionJob& job,
                                                  int64_t rows_per_message, bool first_of_stream,
                                                  const v1::ResponseMeta& meta) {
  std::vector<v1::ExtractResponse> out;
  const int64_t columns = static_cast<int64_t>(job.columns().size());
  bool first = first_of_stream;
  for (int64_t r0 = 0; r0 < block.rows; r0 += rows_per_message) {
    const int64_t r1 = std::min(block.rows, r0 + rows_per_message);
    v1::ExtractResponse& response = out.emplace_back();
    if (first) {
      for (const auto& c : job.columns()) response.add_columns(c);
      for (bool b : job.integer_columns()) response.add_integer_columns(b);
      response.set_total_windows(job.total_windows());
      first = false;
    }
    *response.mutable_meta() = meta;
    v1::FeatureRows* rows = response.mutable_rows();
    rows->set_first_window(block.window_index[r0]);
    rows->set_num_rows(r1 - r0);
    rows->mutable_values()->Add(block.values.begin() + r0 * columns,
                                block.values.begin() + r1 * columns);
    rows->mutable_start_sample()->Add(block.start_sample.begin() + r0,
                                      block.start_sample.begin() + r1);
  }
  return out;
}

absl::Status CheckChunkFitsMessage(const PreprocessJob& job, int64_t max_message_bytes) {
  constexpr int64_t kChunkOverheadBytes = 4096;
  const int64_t message_bytes = SaturatingAdd(job.chunk_bytes(), kChunkOverheadBytes);
  if (message_bytes > max_message_bytes) {
    const int64_t frame_bytes =
        job.channels() * static_cast<int64_t>(SampleTypeSize(job.output_type()));
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk_frames: ", job.chunk_frames(), " frames x ", job.channels(), " channels make ",
        message_bytes, "-byte messages, above the server's limit of ", max_message_bytes,
        "; use at most ", (max_message_bytes - kChunkOverheadBytes) / frame_bytes));
  }
  return absl::OkStatus();
}

v1::PreprocessResponse PreprocessResponseFor(const TraceChunk& chunk, const PreprocessJob& job,
                                             bool first_of_stream, const v1::ResponseMeta& meta) {
  v1::PreprocessResponse response;
  FillPreprocessResponse(chunk, job, first_of_stream, meta, &response);
  return response;
}

void FillPreprocessResponse(const TraceChunk& chunk, const PreprocessJob& job, bool first_of_stream,
                            const v1::ResponseMeta& meta, v1::PreprocessResponse* out) {
  // Clear() keeps the string's capacity: the assignment below reuses it.
  out->Clear();
  if (first_of_stream) {
    out->set_total_frames(job.total_frames());
    for (const auto& id : job.channel_names()) out->add_channel_names(id);
  }
  *out->mutable_meta() = meta;
  v1::TraceChunk* c = out->mutable_chunk();
  c->set_start_frame(chunk.first_frame);
  c->set_num_frames(chunk.traces.frames());
  c->set_num_channels(chunk.traces.channels());
  c->set_dtype(ToProtoDtype(chunk.traces.type()));
  c->mutable_data()->assign(reinterpret_cast<const char*>(chunk.traces.bytes()),
                            chunk.traces.size_bytes());
}

absl::Status ExtractTableReader::Add(const v1::ExtractResponse& r) {
  if (r.columns_size() > 0) {
    if (total_ >= 0) return absl::DataLossError("the server sent the columns twice");
    table_.columns.assign(r.columns().begin(), r.columns().end());
    table_.integer_columns.assign(r.integer_columns().begin(), r.integer_columns().end());
    if (table_.integer_columns.size() != table_.columns.size()) {
      table_.integer_columns.resize(table_.columns.size(), false);
    }
    total_ = r.total_windows();
    digest_ = r.meta().pipeline_digest();
  }
  if (total_ < 0) return absl::DataLossError("the server sent rows before the columns");
  const v1::FeatureRows& rows = r.rows();
  const int64_t columns = static_cast<int64_t>(table_.columns.size());
  if (rows.num_rows() < 0 || rows.values_size() != rows.num_rows() * columns ||
      rows.start_sample_size() != rows.num_rows() || table_.rows + rows.num_rows() > total_) {
    return absl::DataLossError("the server sent a malformed block of rows");
  }
  table_.values.insert(table_.values.end(), rows.values().begin(), rows.values().end());
  for (int64_t i = 0; i < rows.num_rows(); ++i) {
    table_.window_index.push_back(rows.first_window() + i);
    table_.start_sample.push_back(rows.start_sample(static_cast<int>(i)));
  }
  table_.rows += rows.num_rows();
  return absl::OkStatus();
}

absl::Status ExtractTableReader::Finish() const {
  if (total_ < 0) return absl::DataLossError("the server sent no columns");
  if (table_.rows != total_) {
    return absl::DataLossError(absl::StrCat("received ", table_.rows, " of ", total_, " rows"));
  }
  return absl::OkStatus();
}

}  // namespace neurofeat::api
