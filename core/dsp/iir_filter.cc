#include "core/dsp/iir_filter.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/buffer_pool.h"
#include "core/checked_math.h"
#include "core/dsp/sosfilt.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neurofeat {
namespace {

constexpr int kLanes = kSosStripeLanes;

// Odd extension in the input's own dtype, as scipy's odd_ext: 2*x0 - x[n]
// is evaluated in float32 for float32 input and wraps for int16 input.
template <typename In>
double OddExt(In edge, In mirror) {
  if constexpr (std::is_same_v<In, int16_t>) {
    return static_cast<double>(static_cast<int16_t>(2 * edge - mirror));
  } else {
    In two_edge = static_cast<In>(2) * edge;
    In v = two_edge - mirror;
    return static_cast<double>(v);
  }
}

// Channels are filtered in groups of kGroupStripes stripes (16 channels: one
// 64-byte line of float32 per row), so reading the time-major input and
// writing the output use whole cache lines.
constexpr int kGroupStripes = 4;
constexpr int kGroupLanes = kGroupStripes * kLanes;

struct Group {
  int64_t c0;  // first channel
  int width;   // channels in the group, 1..kGroupLanes
  double* stripes[kGroupStripes];
};

// Copies one input row (or an odd-extension row) into row `row` of each
// stripe; lanes past the group's width are zero.
template <typename In, int kWidth>
inline void PutRow(const Group& g, int64_t row, const In* src, const In* edge, bool odd) {
  const int width = kWidth > 0 ? kWidth : g.width;
  for (int s = 0; s < kGroupStripes; ++s) {
    double* dst = g.stripes[s] + row * kLanes;
    for (int l = 0; l < kLanes; ++l) {
      const int ch = s * kLanes + l;
      if (ch < width) {
        dst[l] = odd ? OddExt<In>(edge[ch], src[ch]) : static_cast<double>(src[ch]);
      } else {
        dst[l] = 0.0;
      }
    }
  }
}

template <typename In, int kWidth>
void FillGroupImpl(const Traces& in, const Group& g, int64_t pad) {
  const int64_t n = in.frames();
  const int64_t c = in.channels();
  const In* x = in.data<In>() + g.c0;
  for (int64_t i = 0; i < pad; ++i) PutRow<In, kWidth>(g, i, x + (pad - i) * c, x, true);
  for (int64_t t = 0; t < n; ++t) PutRow<In, kWidth>(g, pad + t, x + t * c, nullptr, false);
  for (int64_t j = 0; j < pad; ++j) {
    PutRow<In, kWidth>(g, pad + n + j, x + (n - 2 - j) * c, x + (n - 1) * c, true);
  }
}

template <typename In>
void FillGroup(const Traces& in, const Group& g, int64_t pad) {
  if (g.width == kGroupLanes) {
    FillGroupImpl<In, kGroupLanes>(in, g, pad);
  } else {
    FillGroupImpl<In, 0>(in, g, pad);
  }
}

template <typename Out, int kWidth>
void DrainGroupImpl(const Group& g, int64_t first_row, int64_t rows, Traces* out) {
  const int width = kWidth > 0 ? kWidth : g.width;
  const int64_t c = out->channels();
  Out* y = out->data<Out>() + g.c0;
  for (int64_t t = 0; t < rows; ++t) {
    Out* dst = y + t * c;
    for (int s = 0; s < kGroupStripes; ++s) {
      const double* src = g.stripes[s] + (first_row + t) * kLanes;
      for (int l = 0; l < kLanes; ++l) {
        if (s * kLanes + l < width) dst[s * kLanes + l] = CastSample<Out>(src[l]);
      }
    }
  }
}

template <typename Out>
void DrainGroup(const Group& g, int64_t first_row, int64_t rows, Traces* out) {
  if (g.width == kGroupLanes) {
    DrainGroupImpl<Out, kGroupLanes>(g, first_row, rows, out);
  } else {
    DrainGroupImpl<Out, 0>(g, first_row, rows, out);
  }
}

// Transposed direct form II for (b, a) in scipy lfilter's order of
// operations; `state` is n_state x lanes.
void LfilterStripe(const std::vector<double>& b, const std::vector<double>& a, double* state,
                   double* stripe, int64_t frames, bool reverse) {
  const size_t len = b.size();
  for (int64_t i = 0; i < frames; ++i) {
    const int64_t t = reverse ? frames - 1 - i : i;
    double* row = stripe + t * kLanes;
    for (int l = 0; l < kLanes; ++l) {
      const double x = row[l];
      if (len == 1) {
        row[l] = x * b[0];
        continue;
      }
      const double y = state[l] + b[0] * x;
      for (size_t k = 0; k + 2 < len; ++k) {
        state[k * kLanes + l] = state[(k + 1) * kLanes + l] + x * b[k + 1] - y * a[k + 1];
      }
      state[(len - 2) * kLanes + l] = x * b[len - 1] - y * a[len - 1];
      row[l] = y;
    }
  }
}

struct StripeJob {
  const IirFilter* filter;
  FilterDirection direction;
  int64_t pad;
};

void RunPass(const IirFilter& f, double* state, double* stripe, int64_t frames, bool reverse) {
  if (f.is_sos()) {
    SosfiltStripe(f.sos_flat().data(), static_cast<int>(f.sos().sections.size()), state, stripe,
                  frames, reverse);
  } else {
    LfilterStripe(f.ba().b, f.ba().a, state, stripe, frames, reverse);
  }
}

// Initial state = zi * value (per lane) taken from `row`.
void ScaledZi(const IirFilter& f, const double* row, double* state) {
  const auto& zi = f.zi_flat();
  for (size_t k = 0; k < zi.size(); ++k) {
    for (int l = 0; l < kLanes; ++l) state[k * kLanes + l] = zi[k] * row[l];
  }
}

// Per-task scratch: never zero-filled (the fill overwrites it), and drawn
// from the buffer pool so that a chunk touches no fresh pages.
class Scratch {
 public:
  double* Get(size_t doubles) {
    if (doubles > capacity_) {
      block_ = BufferPool::Default().Acquire(doubles * sizeof(double));
      capacity_ = doubles;
    }
    return reinterpret_cast<double*>(block_.get());
  }

 private:
  BufferPool::Block block_;
  size_t capacity_ = 0;
};

// A filter's state turns NaN or infinite at the first non-finite input and
// stays so (every update adds a coefficient times the output, and 0 * Inf
// is NaN), so a finite final state proves the rows it ran over were finite:
// the chain need not scan its input separately.
bool AllFinite(const std::vector<double>& v) {
  bool finite = true;
  for (double x : v) finite &= std::isfinite(x);
  return finite;
}

bool InputFinite(const Traces& in) {
  bool finite = true;
  for (int64_t i = 0; i < in.size(); ++i) {
    switch (in.type()) {
      case SampleType::kFloat32:
        finite &= std::isfinite(in.data<float>()[i]);
        break;
      case SampleType::kFloat64:
        finite &= std::isfinite(in.data<double>()[i]);
        break;
      case SampleType::kInt16:
        return true;
    }
  }
  return finite;
}

template <typename In, typename Out>
bool FilterOneGroup(const StripeJob& job, const Traces& in, int64_t c0, int width,
                    int64_t keep_begin, int64_t keep_end, Scratch& scratch,
                    std::vector<double>& state, Traces* out) {
  const IirFilter& f = *job.filter;
  const int64_t pad = job.pad;
  const int64_t total = in.frames() + 2 * pad;
  const size_t stripe_doubles = static_cast<size_t>(total) * kLanes;
  double* base = scratch.Get(stripe_doubles * kGroupStripes);
  Group g{c0, width, {}};
  for (int s = 0; s < kGroupStripes; ++s) g.stripes[s] = base + s * stripe_doubles;
  FillGroup<In>(in, g, pad);
  const int stripes_used = (width + kLanes - 1) / kLanes;
  bool finite = true;
  for (int s = 0; s < stripes_used; ++s) {
    double* stripe = g.stripes[s];
    state.assign(f.zi_flat().size() * kLanes, 0.0);
    switch (job.direction) {
      case FilterDirection::kForwardBackward:
        ScaledZi(f, stripe, state.data());
        RunPass(f, state.data(), stripe, total, /*reverse=*/false);
        ScaledZi(f, stripe + (total - 1) * kLanes, state.data());
        RunPass(f, state.data(), stripe, total, /*reverse=*/true);
        break;
      case FilterDirection::kForward:
        RunPass(f, state.data(), stripe, total, /*reverse=*/false);
        break;
      case FilterDirection::kBackward:
        RunPass(f, state.data(), stripe, total, /*reverse=*/true);
        break;
    }
    finite &= AllFinite(state);
  }
  DrainGroup<Out>(g, pad + keep_begin, keep_end - keep_begin, out);
  return finite;
}

// Full stripes of a second-order-section filter, up to kGroupStripes side
// by side (16 channels: one 64-byte line of float32 input per row). The
// kernel reads the traces and writes the output directly; only the
// odd-extension rows and the forward pass's result go through float64
// stripe buffers, and the backward pass stops at the first kept row
// (earlier outputs are unused). Time is cut into blocks and the stripes take
// turns on each block, so each input and output line is brought into cache
// once rather than once per stripe.
constexpr int64_t kTimeBlock = 512;

template <typename In, typename Out>
bool FilterFullSosGroup(const StripeJob& job, const Traces& in, int64_t c0, int stripes,
                        int64_t keep_begin, int64_t keep_end, Scratch& scratch,
                        std::vector<double>& states, Traces* out) {
  const IirFilter& f = *job.filter;
  const int n_sections = static_cast<int>(f.sos().sections.size());
  const double* sos = f.sos_flat().data();
  const int64_t n = in.frames();
  const int64_t c = in.channels();
  const int64_t oc = out->channels();
  const In* x = in.data<In>() + c0;
  Out* y = out->data<Out>() + c0;
  const size_t state_size = f.zi_flat().size() * kLanes;
  states.assign(state_size * stripes, 0.0);
  auto state = [&](int s) { return states.data() + s * state_size; };
  auto lanes = [](int s) { return s * kLanes; };

  if (job.direction == FilterDirection::kForward) {
    for (int64_t b = 0; b < keep_end; b += kTimeBlock) {
      const int64_t e = std::min(keep_end, b + kTimeBlock);
      for (int s = 0; s < stripes; ++s) {
        // Rows before the first kept one only advance the state.
        const int64_t split = std::clamp(keep_begin, b, e);
        SosfiltSegment(sos, n_sections, state(s), StripeIo::Of(x + b * c + lanes(s), c),
                       StripeIo::None(), split - b);
        SosfiltSegment(sos, n_sections, state(s), StripeIo::Of(x + split * c + lanes(s), c),
                       StripeIo::Of(y + (split - keep_begin) * oc + lanes(s), oc), e - split);
      }
    }
    return AllFinite(states);
  }
  if (job.direction == FilterDirection::kBackward) {
    for (int64_t e = n; e > keep_begin; e -= kTimeBlock) {
      const int64_t b = std::max(keep_begin, e - kTimeBlock);
      for (int s = 0; s < stripes; ++s) {
        const int64_t split = std::clamp(keep_end, b, e);  // rows >= split: state only
        SosfiltSegment(sos, n_sections, state(s), StripeIo::Of(x + (e - 1) * c + lanes(s), -c),
                       StripeIo::None(), e - split);
        SosfiltSegment(sos, n_sections, state(s), StripeIo::Of(x + (split - 1) * c + lanes(s), -c),
                       StripeIo::Of(y + (split - 1 - keep_begin) * oc + lanes(s), -oc), split - b);
      }
    }
    return AllFinite(states);
  }
  const int64_t pad = job.pad;
  const int64_t total = n + 2 * pad;
  const size_t stripe_doubles = static_cast<size_t>(total) * kLanes;
  double* buffers = scratch.Get(stripe_doubles * stripes);
  auto stripe = [&](int s) { return buffers + s * stripe_doubles; };
  for (int s = 0; s < stripes; ++s) {
    // Odd extension rows, computed in the input's dtype as scipy does.
    const In* xs = x + lanes(s);
    double* st = stripe(s);
    for (int64_t i = 0; i < pad; ++i) {
      for (int l = 0; l < kLanes; ++l) {
        st[i * kLanes + l] = OddExt<In>(xs[l], xs[(pad - i) * c + l]);
        st[(pad + n + i) * kLanes + l] = OddExt<In>(xs[(n - 1) * c + l], xs[(n - 2 - i) * c + l]);
      }
    }
    ScaledZi(f, st, state(s));
    SosfiltSegment(sos, n_sections, state(s), StripeIo::Of(st, kLanes), StripeIo::Of(st, kLanes),
                   pad);
  }
  // Forward over the traces themselves, block by block.
  for (int64_t b = 0; b < n; b += kTimeBlock) {
    const int64_t len = std::min(kTimeBlock, n - b);
    for (int s = 0; s < stripes; ++s) {
      SosfiltSegment(sos, n_sections, state(s), StripeIo::Of(x + b * c + lanes(s), c),
                     StripeIo::Of(stripe(s) + (pad + b) * kLanes, kLanes), len);
    }
  }
  for (int s = 0; s < stripes; ++s) {
    double* far = stripe(s) + (pad + n) * kLanes;
    SosfiltSegment(sos, n_sections, state(s), StripeIo::Of(far, kLanes), StripeIo::Of(far, kLanes),
                   pad);
    // Backward from the end: state only past the kept rows.
    ScaledZi(f, stripe(s) + (total - 1) * kLanes, state(s));
    SosfiltSegment(sos, n_sections, state(s),
                   StripeIo::Of(stripe(s) + (total - 1) * kLanes, -kLanes), StripeIo::None(),
                   total - (pad + keep_end));
  }
  // Backward over the kept rows into the output, block by block.
  for (int64_t e = keep_end; e > keep_begin; e -= kTimeBlock) {
    const int64_t b = std::max(keep_begin, e - kTimeBlock);
    for (int s = 0; s < stripes; ++s) {
      SosfiltSegment(sos, n_sections, state(s),
                     StripeIo::Of(stripe(s) + (pad + e - 1) * kLanes, -kLanes),
                     StripeIo::Of(y + (e - 1 - keep_begin) * oc + lanes(s), -oc), e - b);
    }
  }
  return AllFinite(states);
}

template <typename In, typename Out>
bool FilterAll(const StripeJob& job, const Traces& in, int64_t keep_begin, int64_t keep_end,
               Traces* out) {
  const int64_t c = in.channels();
  std::atomic<bool> finite{true};
  if (job.filter->is_sos()) {
    // Full stripes go through the fused kernel in groups; a partial last
    // stripe (and (b, a) filters) through the copying group path below.
    const int64_t full = c / kLanes;
    const int64_t groups = (full + kGroupStripes - 1) / kGroupStripes;
    tbb::parallel_for(
        tbb::blocked_range<int64_t>(0, groups, 1), [&](const tbb::blocked_range<int64_t>& r) {
          Scratch scratch;
          std::vector<double> states;
          for (int64_t g = r.begin(); g < r.end(); ++g) {
            const int64_t first = g * kGroupStripes;
            const int stripes = static_cast<int>(std::min<int64_t>(kGroupStripes, full - first));
            if (!FilterFullSosGroup<In, Out>(job, in, first * kLanes, stripes, keep_begin, keep_end,
                                             scratch, states, out)) {
              finite = false;
            }
          }
        });
    if (full * kLanes < c) {
      Scratch scratch;
      std::vector<double> state;
      if (!FilterOneGroup<In, Out>(job, in, full * kLanes, static_cast<int>(c - full * kLanes),
                                   keep_begin, keep_end, scratch, state, out)) {
        finite = false;
      }
    }
    return finite;
  }
  const int64_t groups = (c + kGroupLanes - 1) / kGroupLanes;
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, groups, 1),
                    [&](const tbb::blocked_range<int64_t>& r) {
                      Scratch scratch;
                      std::vector<double> state;
                      for (int64_t gi = r.begin(); gi < r.end(); ++gi) {
                        const int64_t c0 = gi * kGroupLanes;
                        const int width = static_cast<int>(std::min<int64_t>(kGroupLanes, c - c0));
                        if (!FilterOneGroup<In, Out>(job, in, c0, width, keep_begin, keep_end,
                                                     scratch, state, out)) {
                          finite = false;
                        }
                      }
                    });
  return finite;
}

template <typename In>
bool DispatchOut(const StripeJob& job, const Traces& in, int64_t kb, int64_t ke, Traces* out) {
  switch (out->type()) {
    case SampleType::kInt16:
      return FilterAll<In, int16_t>(job, in, kb, ke, out);
    case SampleType::kFloat32:
      return FilterAll<In, float>(job, in, kb, ke, out);
    case SampleType::kFloat64:
      return FilterAll<In, double>(job, in, kb, ke, out);
  }
  return true;
}

}  // namespace

IirFilter IirFilter::FromSos(SosFilter sos) {
  IirFilter f;
  f.is_sos_ = true;
  f.sos_ = std::move(sos);
  f.padlen_ = SosfiltfiltPadlen(f.sos_);
  for (const auto& s : f.sos_.sections) {
    // a0 is 1 for every design we produce; normalise anyway as scipy's
    // _validate_sos requires it.
    for (double v : s) f.sos_flat_.push_back(v);
  }
  for (const auto& z : SosfiltZi(f.sos_)) {
    f.zi_flat_.push_back(z[0]);
    f.zi_flat_.push_back(z[1]);
  }
  return f;
}

IirFilter IirFilter::FromBa(BaFilter ba) {
  IirFilter f;
  f.is_sos_ = false;
  f.padlen_ = FiltfiltPadlen(ba);
  f.zi_flat_ = LfilterZi(ba);
  // lfilter normalises by a[0] before filtering and pads to equal lengths.
  const double a0 = ba.a[0];
  size_t n = std::max(ba.a.size(), ba.b.size());
  ba.a.resize(n, 0.0);
  ba.b.resize(n, 0.0);
  for (auto& v : ba.b) v /= a0;
  for (auto& v : ba.a) v /= a0;
  f.ba_ = std::move(ba);
  return f;
}

int64_t ApplyIirFilterTaskBytes(const IirFilter& filter, FilterDirection direction,
                                int64_t in_frames) {
  const int64_t pad = direction == FilterDirection::kForwardBackward ? filter.padlen() : 0;
  // Scratch::Get(): kGroupStripes stripes of (frames + 2 pad) rows of
  // kLanes doubles.
  return SaturatingMul(SaturatingAdd(in_frames, SaturatingMul(pad, 2)),
                       kLanes * kGroupStripes * static_cast<int64_t>(sizeof(double)));
}

absl::Status ApplyIirFilter(const IirFilter& filter, FilterDirection direction, const Traces& in,
                            int64_t keep_begin, int64_t keep_end, Traces* out, bool* input_finite) {
  const int64_t pad = direction == FilterDirection::kForwardBackward ? filter.padlen() : 0;
  if (direction == FilterDirection::kForwardBackward && in.frames() <= pad) {
    return absl::InvalidArgumentError(
        absl::StrCat("a chunk of ", in.frames(),
                     " frames is too short for zero-phase filtering: it must be longer than the "
                     "filter's padding (padlen=",
                     pad, " frames)"));
  }
  if (keep_begin < 0 || keep_end > in.frames() || keep_begin > keep_end ||
      out->frames() != keep_end - keep_begin || out->channels() != in.channels()) {
    return absl::InternalError("ApplyIirFilter: output shape does not match the kept rows");
  }
  StripeJob job{&filter, direction, pad};
  bool finite = true;
  switch (in.type()) {
    case SampleType::kInt16:
      finite = DispatchOut<int16_t>(job, in, keep_begin, keep_end, out);
      break;
    case SampleType::kFloat32:
      finite = DispatchOut<float>(job, in, keep_begin, keep_end, out);
      break;
    case SampleType::kFloat64:
      finite = DispatchOut<double>(job, in, keep_begin, keep_end, out);
      break;
  }
  if (filter.zi_flat().empty()) finite = InputFinite(in);  // a pure gain keeps no state
  if (input_finite != nullptr) *input_finite = finite;
  return absl::OkStatus();
}

}  // namespace neurofeat
