#include "core/source/channel_subset_source.h"

#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

template <typename T>
std::vector<T> Pick(const std::vector<T>& values, const std::vector<int64_t>& kept) {
  if (values.empty()) return {};
  std::vector<T> out;
  out.reserve(kept.size());
  for (int64_t c : kept) out.push_back(values[static_cast<size_t>(c)]);
  return out;
}

}  // namespace

ChannelSubsetSource::ChannelSubsetSource(std::shared_ptr<const TraceSource> parent,
                                         std::vector<int64_t> kept)
    : parent_(std::move(parent)), kept_(std::move(kept)) {
  const RecordingInfo& in = parent_->info();
  info_ = in;
  info_.channel_ids = Pick(in.channel_ids, kept_);
  info_.channel_locations = Pick(in.channel_locations, kept_);
  info_.gain_to_uv = Pick(in.gain_to_uv, kept_);
  info_.offset_to_uv = Pick(in.offset_to_uv, kept_);
  info_.inter_sample_shift = Pick(in.inter_sample_shift, kept_);
  info_.channel_types = Pick(in.channel_types, kept_);
}

absl::StatusOr<std::shared_ptr<const TraceSource>> ChannelSubsetSource::Drop(
    std::shared_ptr<const TraceSource> parent, const std::vector<std::string>& names,
    const std::string& field) {
  const std::vector<std::string>& ids = parent->info().channel_ids;
  std::set<std::string> dropped;
  for (const std::string& name : names) {
    bool found = false;
    for (const std::string& id : ids) found = found || id == name;
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": the recording has no channel \"",
                                                     name, "\" (it has ", absl::StrJoin(ids, ","),
                                                     ")"));
    }
    dropped.insert(name);
  }
  std::vector<int64_t> kept;
  for (size_t c = 0; c < ids.size(); ++c) {
    if (dropped.count(ids[c]) == 0) kept.push_back(static_cast<int64_t>(c));
  }
  if (kept.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": dropping ", absl::StrJoin(names, ","), " leaves no channel"));
  }
  if (kept.size() == ids.size()) return parent;
  return std::shared_ptr<const TraceSource>(
      new ChannelSubsetSource(std::move(parent), std::move(kept)));
}

absl::StatusOr<Traces> ChannelSubsetSource::GetTraces(int64_t start, int64_t end) const {
  NF_ASSIGN_OR_RETURN(Traces all, parent_->GetTraces(start, end));
  const int64_t out_channels = static_cast<int64_t>(kept_.size());
  Traces out = Traces::Uninitialized(all.type(), all.frames(), out_channels);
  const size_t size = SampleTypeSize(all.type());
  const std::byte* src = all.bytes();
  std::byte* dst = out.bytes();
  const size_t in_row = static_cast<size_t>(all.channels()) * size;
  for (int64_t f = 0; f < all.frames(); ++f) {
    const std::byte* row = src + static_cast<size_t>(f) * in_row;
    std::byte* out_row = dst + static_cast<size_t>(f * out_channels) * size;
    for (int64_t k = 0; k < out_channels; ++k) {
      std::memcpy(out_row + static_cast<size_t>(k) * size,
                  row + static_cast<size_t>(kept_[static_cast<size_t>(k)]) * size, size);
    }
  }
  return out;
}

}  // namespace neurofeat
