// File: response_convert.h
//
// Job output as neurofeat.v1 messages (server side), and the messages back
// as tables and traces (client side). Every streamed message carries the
// engine version and the pipeline's digest; the first carries the schema
// (columns, or channel names) and the total, so a client can check it got
// everything.
//
// Example (server):
//   for (v1::ExtractResponse& r : api::ExtractResponses(block, *job, rows, first, meta)) ...
// Example (client):
//   api::ExtractTableReader reader;
//   ... NF_RETURN_IF_ERROR(reader.Add(response)); ...
//   NF_RETURN_IF_ERROR(reader.Finish());
#ifndef NEUROFEAT_API_RESPONSE_CONVERT_H_
#define NEUROFEAT_API_RESPONSE_CONVERT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/features/extract.h"
#include "core/job/extraction_job.h"
#include "core/job/preprocess_job.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::api {

// PipelineDigest() is the hex SHA-256 of the pipeline's deterministic
// serialisation (maps in key order).
std::string PipelineDigest(const v1::Pipeline& pipeline);
// MakeResponseMeta(): engine version and pipeline digest.
v1::ResponseMeta MakeResponseMeta(const v1::Pipeline& pipeline);

// RowsPerMessage(): `requested` rows (0: up to 256, at most half a
// message), checked against `max_message_bytes`.
// Errors: InvalidArgument naming rows_per_message.
absl::StatusOr<int64_t> RowsPerMessage(int64_t requested, int64_t columns,
                                       int64_t max_message_bytes);

// ExtractResponses() cuts a block of rows into messages of at most
// `rows_per_message` rows; with `first_of_stream`, the first one carries
// the columns, integer flags and total windows.
std::vector<v1::ExtractResponse> ExtractResponses(const FeatureTable& block,
                                                  const ExtractionJob& job,
                                                  int64_t rows_per_message, bool first_of_stream,
                                                  const v1::ResponseMeta& meta);

// CheckChunkFitsMessage(): a job's chunks must fit a message of
// `max_message_bytes`. Errors: InvalidArgument naming chunk_frames and the
// largest chunk that fits.
absl::Status CheckChunkFitsMessage(const PreprocessJob& job, int64_t max_message_bytes);

// PreprocessResponseFor() is one chunk; with `first_of_stream` it carries
// the range's length and the channel names.
v1::PreprocessResponse PreprocessResponseFor(const TraceChunk& chunk, const PreprocessJob& job,
                                             bool first_of_stream, const v1::ResponseMeta& meta);
// FillPreprocessResponse() is the same written over `out`, whose sample
// buffer is reused when it is large enough: a stream recycles its written
// messages so that a chunk's tens of MB do not land in fresh pages.
void FillPreprocessResponse(const TraceChunk& chunk, const PreprocessJob& job, bool first_of_stream,
                            const v1::ResponseMeta& meta, v1::PreprocessResponse* out);

// ExtractTableReader collects a stream of ExtractResponse messages into a
// FeatureTable, checking each message against the schema (a malformed
// message is DataLoss) and, in Finish(), that every window arrived.
class ExtractTableReader {
 public:
  absl::Status Add(const v1::ExtractResponse& response);
  absl::Status Finish() const;
  const FeatureTable& table() const { return table_; }
  FeatureTable& mutable_table() { return table_; }
  int64_t total_windows() const { return total_; }
  const std::string& pipeline_digest() const { return digest_; }

 private:
  FeatureTable table_;
  int64_t total_ = -1;
  std::string digest_;
};

}  // namespace neurofeat::api

#endif  // NEUROFEAT_API_RESPONSE_CONVERT_H_
