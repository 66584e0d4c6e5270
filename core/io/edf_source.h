// File: edf_source.h
//
// EdfSource: EDF, EDF+, BDF and BDF+ files, as float64 physical values (the
// unit the file states; gains to µV follow from it). Annotation signals are
// not channels. Every signal must have the same sampling rate.
//
// EDFlib reads the files it accepts; it keeps per-file read positions, so
// reads take a lock. EDFlib refuses files with small header deviations that
// other readers (MNE, EDFbrowser's import) accept, e.g. an annotation signal
// whose unit field is "-" instead of blanks; for those a direct reader of
// the data records takes over (physical = (d - dmin) * (pmax - pmin) /
// (dmax - dmin) + pmin, as MNE computes it), reading with pread.
#ifndef NEUROFEAT_CORE_IO_EDF_SOURCE_H_
#define NEUROFEAT_CORE_IO_EDF_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "core/io/regular_file.h"
#include "core/source/trace_source.h"

namespace neurofeat {

class EdfSource final : public TraceSource {
 public:
  static absl::StatusOr<std::unique_ptr<EdfSource>> Open(const std::string& path);
  ~EdfSource() override;

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return frames_; }
  SampleType sample_type() const override { return SampleType::kFloat64; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

 private:
  EdfSource() = default;
  static absl::StatusOr<std::unique_ptr<EdfSource>> OpenDirect(OpenedFile file,
                                                               const std::string& path);
  absl::StatusOr<Traces> ReadDirect(int64_t start, int64_t end) const;

  int handle_ = -1;  // EDFlib's, or -1 when reading directly; read under mu_
  ScopedFd fd_;      // direct reads
  std::string path_;
  // Direct reads: the layout of a data record.
  struct Signal {
    int64_t offset_in_record = 0;  // samples before this signal in a record
    double scale = 1.0, dmin = 0.0, pmin = 0.0;
  };
  std::vector<Signal> signals_;
  int64_t header_bytes_ = 0;
  int64_t samples_per_record_ = 0;  // of each channel
  int64_t record_samples_ = 0;      // of all signals, annotations included
  int bytes_per_sample_ = 2;
  int64_t frames_ = 0;
  RecordingInfo info_;
  // EDFlib keeps a read position per file: reads of `handle_` take turns.
  mutable Mutex mu_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_EDF_SOURCE_H_
