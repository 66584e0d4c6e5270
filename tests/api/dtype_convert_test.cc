// The API's enums and core's: every value, and open-enum values a client
// may send that the API does not define.
#include "api/dtype_convert.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat::api {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DtypeConvertTest, EverySampleDtype) {
  struct Case {
    v1::SampleDtype proto;
    SampleType core;
    NpyDtype npy;
  };
  for (const Case& c : {Case{v1::INT16, SampleType::kInt16, NpyDtype::kInt16},
                        Case{v1::FLOAT32, SampleType::kFloat32, NpyDtype::kFloat32},
                        Case{v1::FLOAT64, SampleType::kFloat64, NpyDtype::kFloat64}}) {
    SCOPED_TRACE(v1::SampleDtype_Name(c.proto));
    EXPECT_EQ(*ToSampleType(c.proto, "f"), c.core);
    EXPECT_EQ(ToProtoDtype(c.core), c.proto);
    EXPECT_EQ(ToNpyDtype(c.core), c.npy);
    EXPECT_EQ(*FromNpyDtype(c.npy, "x.npy"), c.core);
  }
  for (int value : {static_cast<int>(v1::SAMPLE_DTYPE_UNSPECIFIED), 4, 99, -1}) {
    SCOPED_TRACE(value);
    EXPECT_THAT(
        ToSampleType(static_cast<v1::SampleDtype>(value), "recording.samples.dtype").status(),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr(absl::StrCat("recording.samples.dtype: ", value))));
  }
  EXPECT_THAT(FromNpyDtype(NpyDtype::kInt32, "x.npy").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<i4")));
}

TEST(DtypeConvertTest, EveryFileFormat) {
  struct Case {
    v1::FileFormat proto;
    RecordingFormat core;
  };
  for (const Case& c :
       {Case{v1::FILE_FORMAT_AUTO, RecordingFormat::kAuto}, Case{v1::NPY, RecordingFormat::kNpy},
        Case{v1::RAW, RecordingFormat::kRaw}, Case{v1::SPIKEGLX, RecordingFormat::kSpikeGlx},
        Case{v1::OPENEPHYS, RecordingFormat::kOpenEphys}, Case{v1::EDF, RecordingFormat::kEdf},
        Case{v1::BRAINVISION, RecordingFormat::kBrainVision},
        Case{v1::EEGLAB, RecordingFormat::kEeglab}, Case{v1::FIF, RecordingFormat::kFif},
        Case{v1::NWB, RecordingFormat::kNwb}}) {
    SCOPED_TRACE(v1::FileFormat_Name(c.proto));
    EXPECT_EQ(*ToRecordingFormat(c.proto), c.core);
    EXPECT_EQ(ToProtoFormat(c.core), c.proto);
  }
  EXPECT_EQ(v1::FileFormat_descriptor()->value_count(), 10);
  EXPECT_THAT(ToRecordingFormat(static_cast<v1::FileFormat>(42)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("recording.path.format: 42")));
}

}  // namespace
}  // namespace neurofeat::api
