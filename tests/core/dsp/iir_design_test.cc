#include "core/dsp/iir_design.h"

#include <cmath>
#include <complex>
#include <numbers>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::LoadJson;
using ::neurofeat::testing::LoadNpy;
using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

BandType ParseBand(const std::string& s) {
  if (s == "lowpass") return BandType::kLowpass;
  if (s == "highpass") return BandType::kHighpass;
  if (s == "bandpass") return BandType::kBandpass;
  return BandType::kBandstop;
}

double MaxAbs(const double* v, int n) {
  double m = 0;
  for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(v[i]));
  return m;
}

// Every Butterworth design scipy.signal.iirfilter makes for orders 1-10,
// four band types, two corner sets each, three sampling rates
// (tests/data/scipy/designs.json): b and a of every section agree to 1e-12
// relative to the largest coefficient of that polynomial, and so does
// sosfilt_zi.
TEST(IirDesignTest, ButterworthMatchesScipyForAllOrdersAndBands) {
  google::protobuf::Struct designs = LoadJson("scipy/designs.json");
  const auto& list = designs.fields().at("butterworth").list_value().values();
  ASSERT_EQ(list.size(), 3 * 10 * 8);
  for (const auto& d : list) {
    const auto& f = d.struct_value().fields();
    const int order = static_cast<int>(f.at("order").number_value());
    const std::string btype = f.at("btype").string_value();
    const auto& freqs = f.at("freqs").list_value().values();
    const double fs = f.at("fs").number_value();
    const double f1 = freqs[0].number_value();
    const double f2 = freqs.size() > 1 ? freqs[1].number_value() : 0.0;
    SCOPED_TRACE(absl::StrCat(btype, " order ", order, " fs ", fs, " f ", f1, " ", f2));
    absl::StatusOr<SosFilter> sos = DesignButterworth(order, ParseBand(btype), f1, f2, fs);
    ASSERT_TRUE(sos.ok()) << sos.status();
    const auto& ref = f.at("sos").list_value().values();
    ASSERT_EQ(sos->sections.size(), static_cast<size_t>(ref.size()));
    std::vector<std::array<double, 2>> zi = SosfiltZi(*sos);
    const auto& ref_zi = f.at("zi").list_value().values();
    for (int s = 0; s < ref.size(); ++s) {
      double want[6];
      for (int k = 0; k < 6; ++k) want[k] = ref[s].list_value().values(k).number_value();
      const double b_scale = MaxAbs(want, 3), a_scale = MaxAbs(want + 3, 3);
      for (int k = 0; k < 6; ++k) {
        const double scale = k < 3 ? b_scale : a_scale;
        EXPECT_LE(std::fabs(sos->sections[s][k] - want[k]), 1e-12 * scale)
            << "section " << s << " coefficient " << k << ": " << sos->sections[s][k] << " vs "
            << want[k];
      }
      const double z0 = ref_zi[s].list_value().values(0).number_value();
      const double z1 = ref_zi[s].list_value().values(1).number_value();
      const double zscale = std::max({std::fabs(z0), std::fabs(z1), 1e-300});
      EXPECT_LE(std::fabs(zi[s][0] - z0), 1e-12 * zscale) << "zi section " << s;
      EXPECT_LE(std::fabs(zi[s][1] - z1), 1e-12 * zscale) << "zi section " << s;
    }
  }
}

TEST(IirDesignTest, NotchMatchesScipyIirnotchAndLfilterZi) {
  google::protobuf::Struct designs = LoadJson("scipy/designs.json");
  for (const auto& d : designs.fields().at("notch").list_value().values()) {
    const auto& f = d.struct_value().fields();
    absl::StatusOr<BaFilter> ba = DesignNotch(f.at("freq").number_value(), f.at("q").number_value(),
                                              f.at("fs").number_value());
    ASSERT_TRUE(ba.ok()) << ba.status();
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(ba->b[k], f.at("b").list_value().values(k).number_value(), 1e-15);
      EXPECT_NEAR(ba->a[k], f.at("a").list_value().values(k).number_value(), 1e-15);
    }
    std::vector<double> zi = LfilterZi(*ba);
    ASSERT_EQ(zi.size(), 2u);
    for (int k = 0; k < 2; ++k) {
      EXPECT_NEAR(zi[k], f.at("zi").list_value().values(k).number_value(), 1e-14);
    }
  }
}

// The stored golden designs (the coefficients SpikeInterface's defaults give)
// are reproduced to within 8 ulp (numpy's complex products and OpenBLAS's
// 2x2 solve cannot be replayed operation for operation; 8 ulp is ~1e-15
// relative, far inside the 1e-12 requirement).
TEST(IirDesignTest, GoldenSpikeInterfaceDesignsWithinEightUlp) {
  struct Case {
    const char* file;
    int order;
    BandType band;
    double f1, f2, fs;
  } cases[] = {{"scipy/sos_bp300_6000_o5_fs30000.npy", 5, BandType::kBandpass, 300, 6000, 30000},
               {"scipy/sos_hp300_o5_fs30000.npy", 5, BandType::kHighpass, 300, 0, 30000},
               {"scipy/sos_bp1_40_o4_fs250.npy", 4, BandType::kBandpass, 1, 40, 250}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    NpyArray ref = LoadNpy(c.file);
    absl::StatusOr<SosFilter> sos = DesignButterworth(c.order, c.band, c.f1, c.f2, c.fs);
    ASSERT_TRUE(sos.ok());
    ASSERT_EQ(static_cast<int64_t>(sos->sections.size()), ref.header.shape[0]);
    for (size_t s = 0; s < sos->sections.size(); ++s) {
      for (int k = 0; k < 6; ++k) {
        const double want = ref.as<double>()[s * 6 + k];
        const double ulp = std::fabs(std::nextafter(want, INFINITY) - want);
        EXPECT_LE(std::fabs(sos->sections[s][k] - want), 8 * std::max(ulp, 1e-300))
            << "section " << s << " k " << k;
      }
    }
  }
}

std::complex<double> Response(const SosFilter& f, double freq, double fs) {
  const std::complex<double> z = std::polar(1.0, 2 * std::numbers::pi * freq / fs);
  std::complex<double> h = 1.0;
  for (const auto& s : f.sections) {
    h *= (s[0] + s[1] / z + s[2] / (z * z)) / (s[3] + s[4] / z + s[5] / (z * z));
  }
  return h;
}

// Identity: a Butterworth filter is -3 dB at its corners, 0 dB in the middle
// of its passband and deep in the stopband.
TEST(IirDesignTest, ButterworthFrequencyResponseHasHalfPowerAtCorners) {
  absl::StatusOr<SosFilter> bp = DesignButterworth(5, BandType::kBandpass, 300, 6000, 30000);
  ASSERT_TRUE(bp.ok());
  EXPECT_NEAR(std::abs(Response(*bp, 300, 30000)), 1 / std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(std::abs(Response(*bp, 6000, 30000)), 1 / std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(std::abs(Response(*bp, std::sqrt(300.0 * 6000.0) * 1.0, 30000)), 1.0, 1e-3);
  EXPECT_LT(std::abs(Response(*bp, 10, 30000)), 1e-6);
  absl::StatusOr<SosFilter> lp = DesignButterworth(8, BandType::kLowpass, 40, 0, 250);
  ASSERT_TRUE(lp.ok());
  EXPECT_NEAR(std::abs(Response(*lp, 40, 250)), 1 / std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(std::abs(Response(*lp, 0, 250)), 1.0, 1e-12);
  absl::StatusOr<SosFilter> bs = DesignButterworth(3, BandType::kBandstop, 45, 55, 1000);
  ASSERT_TRUE(bs.ok());
  // The null sits at the geometric mean of the pre-warped corners.
  const double warped_centre = 1000 / std::numbers::pi *
                               std::atan(std::sqrt(std::tan(std::numbers::pi * 45 / 1000) *
                                                   std::tan(std::numbers::pi * 55 / 1000)));
  EXPECT_LT(std::abs(Response(*bs, warped_centre, 1000)), 1e-9);
  EXPECT_NEAR(std::abs(Response(*bs, 45, 1000)), 1 / std::sqrt(2.0), 1e-9);
}

TEST(IirDesignTest, NotchRejectsItsCentreFrequency) {
  absl::StatusOr<BaFilter> n = DesignNotch(60, 30, 1000);
  ASSERT_TRUE(n.ok());
  const std::complex<double> z = std::polar(1.0, 2 * std::numbers::pi * 60 / 1000);
  const std::complex<double> h =
      (n->b[0] + n->b[1] / z + n->b[2] / (z * z)) / (n->a[0] + n->a[1] / z + n->a[2] / (z * z));
  EXPECT_LT(std::abs(h), 1e-12);
}

TEST(IirDesignTest, RejectsBadDesigns) {
  EXPECT_THAT(DesignButterworth(0, BandType::kLowpass, 10, 0, 100),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter_order=0")));
  EXPECT_THAT(DesignButterworth(11, BandType::kLowpass, 10, 0, 100),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter_order=11")));
  EXPECT_THAT(DesignButterworth(4, BandType::kLowpass, 50, 0, 100),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Nyquist")));
  EXPECT_THAT(DesignButterworth(4, BandType::kBandpass, 30, 20, 100),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("freq_min=30")));
  EXPECT_THAT(DesignNotch(60, 0, 1000), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DesignNotch(600, 30, 1000), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(IirDesignTest, PadlenFollowsScipyDefaults) {
  absl::StatusOr<SosFilter> bp = DesignButterworth(5, BandType::kBandpass, 300, 6000, 30000);
  absl::StatusOr<SosFilter> hp = DesignButterworth(5, BandType::kHighpass, 300, 0, 30000);
  absl::StatusOr<SosFilter> bp4 = DesignButterworth(4, BandType::kBandpass, 1, 40, 250);
  ASSERT_TRUE(bp.ok() && hp.ok() && bp4.ok());
  EXPECT_EQ(SosfiltfiltPadlen(*bp), 33);
  EXPECT_EQ(SosfiltfiltPadlen(*hp), 18);
  EXPECT_EQ(SosfiltfiltPadlen(*bp4), 27);
  EXPECT_EQ(FiltfiltPadlen(*DesignNotch(60, 30, 1000)), 9);
}

}  // namespace
}  // namespace neurofeat
