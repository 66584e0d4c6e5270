#include "core/preprocess/common_reference_step.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/dsp/pairwise_sum.h"
#include "core/dsp/row_median.h"
#include "core/preprocess/filter_step.h"
#include "core/preprocess/step_json_reader.h"
#include "core/preprocess/step_registry.h"
#include "core/status_macros.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neurofeat {

namespace {

constexpr int64_t kRowsPerTask = 512;

const char* KindName(ReferenceKind k) {
  switch (k) {
    case ReferenceKind::kGlobal:
      return "global";
    case ReferenceKind::kSingle:
      return "single";
    case ReferenceKind::kLocal:
      return "local";
  }
  return "?";
}

// The reference value of one row over `cols` (all columns when empty),
// gathered into `buf` first.
float RowShiftFloat(const float* row, const std::vector<int>& cols, int64_t channels,
                    ReferenceOperator op, bool sequential, std::vector<float>& buf,
                    RowMedianTracker* tracker = nullptr) {
  const int n = cols.empty() ? static_cast<int>(channels) : static_cast<int>(cols.size());
  const float* values = row;
  if (!cols.empty()) {
    for (int i = 0; i < n; ++i) buf[i] = row[cols[i]];
    values = buf.data();
  }
  if (op == ReferenceOperator::kMedian) {
    return tracker != nullptr ? tracker->Median(values, n, buf.data() + n + 64)
                              : MedianFloat32(values, n, buf.data() + n + 64);
  }
  float sum;
  if (sequential) {
    sum = values[0];
    for (int i = 1; i < n; ++i) sum += values[i];
  } else {
    sum = PairwiseSumFloat32(values, n);
  }
  return sum / static_cast<float>(n);
}

double RowShiftInt16(const int16_t* row, const std::vector<int>& cols, int64_t channels,
                     ReferenceOperator op, std::vector<float>& buf, std::vector<int16_t>& gathered,
                     RowMedianTracker* tracker = nullptr) {
  const int n = cols.empty() ? static_cast<int>(channels) : static_cast<int>(cols.size());
  const int16_t* values = row;
  if (!cols.empty()) {
    for (int i = 0; i < n; ++i) gathered[i] = row[cols[i]];
    values = gathered.data();
  }
  if (op == ReferenceOperator::kMedian && tracker != nullptr) {
    // int16 values, and the sum of the two middle ones, are exact in
    // float32 (|sum| < 2^16), and so is half of it: the float32 median of
    // the tracker equals numpy's float64 median.
    float* as_float = buf.data();
    float* scratch = as_float + n + 64;
    for (int i = 0; i < n; ++i) as_float[i] = static_cast<float>(values[i]);
    return static_cast<double>(tracker->Median(as_float, n, scratch));
  }
  if (op == ReferenceOperator::kMedian) return MedianInt16(values, n, buf.data());
  // Sums of int16 in float64 are exact whatever the order.
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += values[i];
  return sum / n;
}

// Half-to-even rounding (SpikeInterface main's round()) and saturation,
// inline: adding and removing 1.5 * 2^52 rounds to an integer in the
// current (nearest-even) mode for |v| < 2^51; libm's nearbyint/fmin/fmax
// were calls per sample.
int16_t RoundToInt16(double v) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
  double r = (v + kMagic) - kMagic;
  r = r < -32768.0 ? -32768.0 : (r > 32767.0 ? 32767.0 : r);
  return static_cast<int16_t>(r);
}

}  // namespace

absl::StatusOr<CommonReferenceOptions> ParseCommonReferenceOptions(const JsonValue& json,
                                                                   const std::string& path) {
  StepJsonReader reader(json, path);
  CommonReferenceOptions options;
  std::string reference;
  NF_RETURN_IF_ERROR(reader.String("reference", &reference));
  if (reader.Has("reference")) {
    if (reference == "global") {
      options.reference = ReferenceKind::kGlobal;
    } else if (reference == "single") {
      options.reference = ReferenceKind::kSingle;
    } else if (reference == "local") {
      options.reference = ReferenceKind::kLocal;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(reader.Field("reference"), "=\"", reference,
                                                     "\" is not one of global, single, local"));
    }
  }
  std::string op;
  NF_RETURN_IF_ERROR(reader.String("operator", &op));
  if (reader.Has("operator")) {
    if (op == "median") {
      options.op = ReferenceOperator::kMedian;
    } else if (op == "average") {
      options.op = ReferenceOperator::kAverage;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(reader.Field("operator"), "=\"", op, "\" is not one of median, average"));
    }
  }
  NF_RETURN_IF_ERROR(reader.Strings("ref_channel_ids", &options.ref_channel_ids));
  std::vector<double> radius;
  NF_RETURN_IF_ERROR(reader.Numbers("local_radius", &radius));
  if (!radius.empty()) {
    if (radius.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          reader.Field("local_radius"), " has ", radius.size(), " values; give [inner, outer]"));
    }
    options.local_radius_inner = radius[0];
    options.local_radius_outer = radius[1];
  }
  NF_RETURN_IF_ERROR(reader.Finish());
  return options;
}

void RegisterCommonReferenceStep(StepRegistry& registry) {
  registry.Add(MakeStepRegistration<CommonReferenceOptions>(
      "common_reference", &ParseCommonReferenceOptions, &CommonReferenceStep::Create));
}

int64_t CommonReferenceStep::ChunkBytes(int64_t frames) const {
  return ChunkBytesFor(frames,
                       {.input = static_cast<int64_t>(SampleTypeSize(parent_->sample_type())),
                        .work = 0,
                        .output = static_cast<int64_t>(SampleTypeSize(output_type_))});
}

absl::StatusOr<std::unique_ptr<CommonReferenceStep>> CommonReferenceStep::Create(
    const CommonReferenceOptions& options, std::shared_ptr<const TraceSource> parent,
    SampleType output_type, const std::string& path) {
  const RecordingInfo& info = parent->info();
  const int64_t channels = static_cast<int64_t>(info.channel_ids.size());
  if (channels == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the recording has no channels"));
  }
  if (output_type == SampleType::kFloat64) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": float64 output is not supported"));
  }
  auto step = std::unique_ptr<CommonReferenceStep>(new CommonReferenceStep());
  step->options_ = options;
  step->output_type_ = output_type;
  if (options.ref_channel_ids.size() > static_cast<size_t>(channels)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".ref_channel_ids has ",
                                                   options.ref_channel_ids.size(), " entries for ",
                                                   channels, " channels"));
  }
  absl::flat_hash_map<std::string, int> index;
  for (int64_t c = 0; c < channels; ++c) index.emplace(info.channel_ids[c], static_cast<int>(c));
  for (size_t i = 0; i < options.ref_channel_ids.size(); ++i) {
    const std::string& id = options.ref_channel_ids[i];
    auto it = index.find(id);
    if (it == index.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".ref_channel_ids[", i, "]=\"", id,
                       "\" is not a channel of the recording (", channels, " channels, ids ",
                       info.channel_ids.front(), "..", info.channel_ids.back(), ")"));
    }
    step->ref_indices_.push_back(it->second);
  }
  if (options.reference == ReferenceKind::kSingle && step->ref_indices_.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".ref_channel_ids has ", step->ref_indices_.size(),
                     " entries; reference=\"single\" needs exactly one channel id"));
  }
  if (options.reference == ReferenceKind::kLocal) {
    if (!step->ref_indices_.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".ref_channel_ids is not used with reference=\"local\""));
    }
    if (!(options.local_radius_inner >= 0) ||
        !(options.local_radius_inner < options.local_radius_outer)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".local_radius=[", options.local_radius_inner, ", ",
                       options.local_radius_outer, "] must satisfy 0 <= inner < outer"));
    }
    if (info.channel_locations.size() != static_cast<size_t>(channels)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": reference=\"local\" needs channel locations, and the recording has ",
          info.channel_locations.size(), " for ", channels, " channels"));
    }
    // All pairs are compared: bound the channels and the neighbourhoods so
    // that locations from a request cannot make either quadratic blow up.
    if (channels > kMaxLocalReferenceChannels) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": reference=\"local\" supports up to ",
                                                     kMaxLocalReferenceChannels,
                                                     " channels, the recording has ", channels));
    }
    int64_t entries = 0;
    for (int64_t i = 0; i < channels; ++i) {
      // Neighbours in order of distance, ties by channel index (a stable
      // sort of all channels by distance, then the radius filter).
      std::vector<std::pair<double, int>> by_distance;
      for (int64_t j = 0; j < channels; ++j) {
        const double dx = info.channel_locations[i][0] - info.channel_locations[j][0];
        const double dy = info.channel_locations[i][1] - info.channel_locations[j][1];
        const double dist = std::sqrt(dx * dx + dy * dy);
        if (dist > options.local_radius_inner && dist <= options.local_radius_outer) {
          by_distance.emplace_back(dist, static_cast<int>(j));
        }
      }
      entries += static_cast<int64_t>(by_distance.size());
      if (entries > kMaxLocalNeighbourEntries) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ".local_radius=[", options.local_radius_inner, ", ", options.local_radius_outer,
            "] makes neighbourhoods of more than ", kMaxLocalNeighbourEntries,
            " channels in all; use a smaller radius (or reference=\"global\")"));
      }
      std::stable_sort(by_distance.begin(), by_distance.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<int> nb;
      nb.reserve(by_distance.size());
      for (const auto& [dist, j] : by_distance) nb.push_back(j);
      step->neighbors_.push_back(std::move(nb));
    }
  }
  switch (options.sum_order) {
    case CommonReferenceOptions::SumOrder::kAuto:
      step->sequential_sum_ =
          dynamic_cast<const FilterStep*>(parent.get()) != nullptr && step->ref_indices_.empty();
      break;
    case CommonReferenceOptions::SumOrder::kSequential:
      step->sequential_sum_ = true;
      break;
    case CommonReferenceOptions::SumOrder::kPairwise:
      step->sequential_sum_ = false;
      break;
  }
  step->canonical_ =
      absl::StrCat("common_reference(reference=", KindName(options.reference),
                   ",operator=", options.op == ReferenceOperator::kMedian ? "median" : "average",
                   ",ref_channel_ids=[", absl::StrJoin(options.ref_channel_ids, ","), "]",
                   options.reference == ReferenceKind::kLocal
                       ? absl::StrCat(",local_radius=[", options.local_radius_inner, ",",
                                      options.local_radius_outer, "]")
                       : "",
                   ",dtype=", SampleTypeName(output_type), ")");
  step->parent_ = std::move(parent);
  return step;
}

absl::StatusOr<Traces> CommonReferenceStep::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, num_frames()));
  NF_ASSIGN_OR_RETURN(Traces raw, parent_->GetTraces(start, end));
  // The reference is computed in the output's arithmetic: float32 data in
  // float32, int16 data exactly in float64. A row of another type is
  // converted where it is used (one pass over the chunk, not two).
  const bool convert = raw.type() != output_type_;
  const Traces& in = raw;
  const int64_t frames = in.frames();
  const int64_t channels = in.channels();
  Traces out = Traces::Uninitialized(output_type_, frames, channels);
  const ReferenceKind kind = options_.reference;
  const ReferenceOperator op = options_.op;
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, frames, kRowsPerTask),
      [&](const tbb::blocked_range<int64_t>& r) {
        std::vector<float> buf(
            static_cast<size_t>(channels + 64 + MedianScratchFloats(static_cast<int>(channels))));
        std::vector<int16_t> gathered(static_cast<size_t>(channels));
        std::vector<float> row_float(convert ? static_cast<size_t>(channels) : 0);
        std::vector<int16_t> row_int16(convert ? static_cast<size_t>(channels) : 0);
        RowMedianTracker tracker;
        for (int64_t t = r.begin(); t < r.end(); ++t) {
          if (output_type_ == SampleType::kFloat32) {
            const float* x = nullptr;
            if (convert) {
              ConvertFrame(in, t, row_float.data());
              x = row_float.data();
            } else {
              x = in.row<float>(t);
            }
            float* y = out.row<float>(t);
            if (kind == ReferenceKind::kSingle) {
              const float ref = x[ref_indices_[0]];
              for (int64_t c = 0; c < channels; ++c) y[c] = x[c] - ref;
            } else if (kind == ReferenceKind::kGlobal) {
              const float shift =
                  RowShiftFloat(x, ref_indices_, channels, op, sequential_sum_, buf, &tracker);
              for (int64_t c = 0; c < channels; ++c) y[c] = x[c] - shift;
            } else {
              float global = 0;
              bool have_global = false;
              for (int64_t c = 0; c < channels; ++c) {
                const auto& nb = neighbors_[c];
                float shift;
                if (nb.empty()) {
                  if (!have_global) {
                    global = RowShiftFloat(x, {}, channels, op, sequential_sum_, buf);
                    have_global = true;
                  }
                  shift = global;
                } else {
                  shift = RowShiftFloat(x, nb, channels, op, false, buf);
                }
                y[c] = x[c] - shift;
              }
            }
          } else {
            const int16_t* x = nullptr;
            if (convert) {
              ConvertFrame(in, t, row_int16.data());
              x = row_int16.data();
            } else {
              x = in.row<int16_t>(t);
            }
            int16_t* y = out.row<int16_t>(t);
            if (kind == ReferenceKind::kSingle) {
              const double ref = x[ref_indices_[0]];
              for (int64_t c = 0; c < channels; ++c) y[c] = RoundToInt16(x[c] - ref);
            } else if (kind == ReferenceKind::kGlobal) {
              const double shift =
                  RowShiftInt16(x, ref_indices_, channels, op, buf, gathered, &tracker);
              for (int64_t c = 0; c < channels; ++c) y[c] = RoundToInt16(x[c] - shift);
            } else {
              for (int64_t c = 0; c < channels; ++c) {
                const auto& nb = neighbors_[c];
                const double shift = RowShiftInt16(x, nb, channels, op, buf, gathered);
                y[c] = RoundToInt16(x[c] - shift);
              }
            }
          }
        }
      });
  return out;
}

}  // namespace neurofeat
