// File: common_reference_step.h
//
// CommonReferenceStep: SpikeInterface's common_reference. For every frame it
// subtracts a reference computed across channels: the median or mean of all
// (or of `ref_channel_ids`) channels ("global"), one channel ("single"), or
// for each channel the channels in an annulus around it ("local"). Medians
// follow numpy.median exactly; means follow numpy's summation order
// (sequential in float32 behind a filter, whose output SpikeInterface holds
// in Fortran order; pairwise otherwise), so results are bit-identical.
// Work is split across time blocks in the current oneTBB arena.
//
// Example:
//   CommonReferenceOptions opt;  // global median
//   NF_ASSIGN_OR_RETURN(auto step, CommonReferenceStep::Create(
//       opt, parent, SampleType::kFloat32, "preprocess[1].common_reference"));
#ifndef NEUROFEAT_CORE_PREPROCESS_COMMON_REFERENCE_STEP_H_
#define NEUROFEAT_CORE_PREPROCESS_COMMON_REFERENCE_STEP_H_

#include <memory>
#include <string>
#include <vector>

#include "core/preprocess/preprocess_step.h"
#include "core/source/trace_source.h"
#include "core/util/json.h"

namespace neurofeat {

enum class ReferenceKind { kGlobal, kSingle, kLocal };

// The local reference compares every pair of channel locations and keeps a
// neighbour list per channel: both are bounded, so locations a request
// sends cannot make the set-up quadratic in time or memory at will. A
// 384-channel probe with the default radius has ~10 neighbours a channel.
inline constexpr int64_t kMaxLocalReferenceChannels = 16384;
inline constexpr int64_t kMaxLocalNeighbourEntries = int64_t{1} << 22;
enum class ReferenceOperator { kMedian, kAverage };

struct CommonReferenceOptions {
  // Default: global (SpikeInterface).
  ReferenceKind reference = ReferenceKind::kGlobal;
  // Default: median (SpikeInterface).
  ReferenceOperator op = ReferenceOperator::kMedian;
  // global: channels forming the reference (default: all). single: exactly
  // one channel id.
  std::vector<std::string> ref_channel_ids;
  // local: neighbours of a channel lie at inner < distance <= outer, in the
  // units of the channel locations. Default: (30, 55) (SpikeInterface).
  double local_radius_inner = 30.0;
  double local_radius_outer = 55.0;
  // Summation order of the mean. kAuto: one channel after another in float32
  // when the parent is a filter (SpikeInterface's filters hand back
  // Fortran-ordered arrays, which numpy sums sequentially), numpy's pairwise
  // order otherwise (C-ordered parents, channel subsets). The two differ by
  // about 1 ulp in a third of the rows. Default: kAuto.
  enum class SumOrder { kAuto, kSequential, kPairwise };
  SumOrder sum_order = SumOrder::kAuto;

  std::string step_name() const { return "common_reference"; }
};

// ParseCommonReferenceOptions() reads a v1 CommonReferenceStep from JSON:
// reference ("global", "single", "local"), operator ("median", "average"),
// ref_channel_ids, local_radius ([inner, outer]), with the defaults above.
// Errors: InvalidArgument naming `path`, the field and the value.
absl::StatusOr<CommonReferenceOptions> ParseCommonReferenceOptions(const JsonValue& json,
                                                                   const std::string& path);

class CommonReferenceStep final : public PreprocessStep {
 public:
  // Create() validates the options against the parent's channels.
  // Errors: InvalidArgument naming the field and value (unknown channel id,
  // single without exactly one id, local without channel locations, with
  // inner >= outer, more than kMaxLocalReferenceChannels channels or
  // neighbourhoods of more than kMaxLocalNeighbourEntries channels in all).
  static absl::StatusOr<std::unique_ptr<CommonReferenceStep>> Create(
      const CommonReferenceOptions& options, std::shared_ptr<const TraceSource> parent,
      SampleType output_type, const std::string& path);

  const RecordingInfo& info() const override { return parent_->info(); }
  int64_t num_frames() const override { return parent_->num_frames(); }
  SampleType sample_type() const override { return output_type_; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;
  const std::string& canonical() const override { return canonical_; }
  // The reference works frame by frame: no margin.
  int64_t margin_samples() const override { return 0; }
  // ChunkBytes(): the parent's block and the output (rows of another type
  // are converted one at a time, per thread).
  int64_t ChunkBytes(int64_t frames) const override;

 private:
  CommonReferenceStep() = default;

  std::shared_ptr<const TraceSource> parent_;
  CommonReferenceOptions options_;
  SampleType output_type_ = SampleType::kFloat32;
  // Reference channel indices (global, single).
  std::vector<int> ref_indices_;
  // local: neighbours of each channel, nearest first; empty lists fall back
  // to the global reference (SpikeInterface's backup_reference="global").
  std::vector<std::vector<int>> neighbors_;
  // Whether the mean sums channels one after another (behind a filter).
  bool sequential_sum_ = false;
  std::string canonical_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_COMMON_REFERENCE_STEP_H_
