#include "api/dtype_convert.h"

#include "absl/strings/str_cat.h"

namespace neurofeat::api {

absl::StatusOr<SampleType> ToSampleType(v1::SampleDtype dtype, const std::string& field) {
  switch (dtype) {
    case v1::INT16:
      return SampleType::kInt16;
    case v1::FLOAT32:
      return SampleType::kFloat32;
    case v1::FLOAT64:
      return SampleType::kFloat64;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", static_cast<int>(dtype), " is not INT16, FLOAT32 or FLOAT64"));
  }
}

v1::SampleDtype ToProtoDtype(SampleType type) {
  switch (type) {
    case SampleType::kInt16:
      return v1::INT16;
    case SampleType::kFloat32:
      return v1::FLOAT32;
    case SampleType::kFloat64:
      return v1::FLOAT64;
  }
  return v1::SAMPLE_DTYPE_UNSPECIFIED;
}

NpyDtype ToNpyDtype(SampleType type) {
  switch (type) {
    case SampleType::kInt16:
      return NpyDtype::kInt16;
    case SampleType::kFloat32:
      return NpyDtype::kFloat32;
    case SampleType::kFloat64:
      return NpyDtype::kFloat64;
  }
  return NpyDtype::kFloat32;
}

absl::StatusOr<SampleType> FromNpyDtype(NpyDtype dtype, const std::string& what) {
  switch (dtype) {
    case NpyDtype::kInt16:
      return SampleType::kInt16;
    case NpyDtype::kFloat32:
      return SampleType::kFloat32;
    case NpyDtype::kFloat64:
      return SampleType::kFloat64;
    default:
      return absl::InvalidArgumentError(absl::StrCat(what, " has dtype ", NpyDtypeDescr(dtype),
                                                     "; expected int16, float32 or float64"));
  }
}

absl::StatusOr<RecordingFormat> ToRecordingFormat(v1::FileFormat format) {
  switch (format) {
    case v1::FILE_FORMAT_AUTO:
      return RecordingFormat::kAuto;
    case v1::NPY:
      return RecordingFormat::kNpy;
    case v1::RAW:
      return RecordingFormat::kRaw;
    case v1::SPIKEGLX:
      return RecordingFormat::kSpikeGlx;
    case v1::OPENEPHYS:
      return RecordingFormat::kOpenEphys;
    case v1::EDF:
      return RecordingFormat::kEdf;
    case v1::BRAINVISION:
      return RecordingFormat::kBrainVision;
    case v1::EEGLAB:
      return RecordingFormat::kEeglab;
    case v1::FIF:
      return RecordingFormat::kFif;
    case v1::NWB:
      return RecordingFormat::kNwb;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("recording.path.format: ", static_cast<int>(format),
                       " is not a format (FILE_FORMAT_AUTO, NPY, RAW, SPIKEGLX, OPENEPHYS, EDF, "
                       "BRAINVISION, EEGLAB, FIF, NWB)"));
  }
}

v1::FileFormat ToProtoFormat(RecordingFormat format) {
  switch (format) {
    case RecordingFormat::kAuto:
      return v1::FILE_FORMAT_AUTO;
    case RecordingFormat::kNpy:
      return v1::NPY;
    case RecordingFormat::kRaw:
      return v1::RAW;
    case RecordingFormat::kSpikeGlx:
      return v1::SPIKEGLX;
    case RecordingFormat::kOpenEphys:
      return v1::OPENEPHYS;
    case RecordingFormat::kEdf:
      return v1::EDF;
    case RecordingFormat::kBrainVision:
      return v1::BRAINVISION;
    case RecordingFormat::kEeglab:
      return v1::EEGLAB;
    case RecordingFormat::kFif:
      return v1::FIF;
    case RecordingFormat::kNwb:
      return v1::NWB;
  }
  return v1::FILE_FORMAT_AUTO;
}

}  // namespace neurofeat::api
