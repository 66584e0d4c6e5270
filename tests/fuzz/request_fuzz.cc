// Fuzz target: a serialized ExtractRequest or PreprocessRequest (first byte
// picks which) through what the server does before it computes: the
// request's conversion and the job's validation, size checks and working-set
// estimate, against a data root holding a small recording.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/request_convert.h"
#include "api/response_convert.h"
#include "core/io/npy.h"
#include "core/job/extraction_job.h"
#include "core/job/preprocess_job.h"
#include "tests/fuzz/fuzz_files.h"

namespace {

void MakeDataRoot() {
  static bool done = [] {
    using namespace neurofeat;
    Traces t = Traces::Zeros(SampleType::kInt16, 3000, 4);
    (void)WriteNpy(fuzz::FuzzDir() + "/x.npy", t);
    return true;
  }();
  (void)done;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  if (size < 1) return 0;
  MakeDataRoot();
  api::FileAccess files;
  files.resolve = [](const std::string& p) -> absl::StatusOr<std::string> {
    if (p != "x.npy") return absl::NotFoundError("only x.npy");
    return fuzz::FuzzDir() + "/x.npy";
  };
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    v1::ExtractRequest request;
    if (!request.ParseFromString(bytes)) return 0;
    absl::StatusOr<ExtractionSpec> spec = api::ToExtractionSpec(request, files);
    if (!spec.ok()) return 0;
    absl::StatusOr<std::unique_ptr<ExtractionJob>> job =
        ExtractionJob::Create(std::move(*spec), {});
    if (!job.ok()) return 0;
    (void)(*job)->working_set_bytes();
    (void)api::RowsPerMessage(request.rows_per_message(),
                              static_cast<int64_t>((*job)->columns().size()), 64 << 20);
  } else {
    v1::PreprocessRequest request;
    if (!request.ParseFromString(bytes)) return 0;
    absl::StatusOr<PreprocessSpec> spec = api::ToPreprocessSpec(request, files);
    if (!spec.ok()) return 0;
    absl::StatusOr<std::unique_ptr<PreprocessJob>> job = PreprocessJob::Create(std::move(*spec));
    if (!job.ok()) return 0;
    (void)(*job)->WorkingSetBytes(3);
    (void)api::CheckChunkFitsMessage(**job, 64 << 20);
  }
  return 0;
}
