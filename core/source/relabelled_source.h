// File: relabelled_source.h
//
// RelabelledSource: a source with other metadata (the request's channel
// names, gains, locations) over the same samples.
#ifndef NEUROFEAT_CORE_SOURCE_RELABELLED_SOURCE_H_
#define NEUROFEAT_CORE_SOURCE_RELABELLED_SOURCE_H_

#include <memory>

#include "core/source/trace_source.h"

namespace neurofeat {

class RelabelledSource final : public TraceSource {
 public:
  // REQUIRES: info.channel_ids.size() == parent->num_channels().
  RelabelledSource(std::shared_ptr<const TraceSource> parent, RecordingInfo info)
      : parent_(std::move(parent)), info_(std::move(info)) {}
  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return parent_->num_frames(); }
  SampleType sample_type() const override { return parent_->sample_type(); }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override {
    return parent_->GetTraces(start, end);
  }

 private:
  std::shared_ptr<const TraceSource> parent_;
  RecordingInfo info_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_SOURCE_RELABELLED_SOURCE_H_
