// File: channel_subset_source.h
//
// ChannelSubsetSource: some of a source's channels, in a given order (MNE's
// raw.drop_channels / pick): a BIDS recording without its channels marked
// "bad", or the channels a request names. Metadata (names, gains,
// locations, shifts, types) follows the kept channels.
//
// Example:
//   NF_ASSIGN_OR_RETURN(auto kept, ChannelSubsetSource::Drop(source, {"T7", "Fp1"}, "bads"));
#ifndef NEUROFEAT_CORE_SOURCE_CHANNEL_SUBSET_SOURCE_H_
#define NEUROFEAT_CORE_SOURCE_CHANNEL_SUBSET_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/source/trace_source.h"

namespace neurofeat {

class ChannelSubsetSource final : public TraceSource {
 public:
  // Drop() keeps every channel of `parent` but those named in `names`.
  // Errors: InvalidArgument naming `field` and the first name the parent
  // does not have (listing the ones it has), or when no channel would be
  // left.
  static absl::StatusOr<std::shared_ptr<const TraceSource>> Drop(
      std::shared_ptr<const TraceSource> parent, const std::vector<std::string>& names,
      const std::string& field);

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return parent_->num_frames(); }
  SampleType sample_type() const override { return parent_->sample_type(); }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

 private:
  ChannelSubsetSource(std::shared_ptr<const TraceSource> parent, std::vector<int64_t> kept);

  std::shared_ptr<const TraceSource> parent_;
  std::vector<int64_t> kept_;  // parent columns, in output order
  RecordingInfo info_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_SOURCE_CHANNEL_SUBSET_SOURCE_H_
