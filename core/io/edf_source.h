// File: edf_source.h
//
// EdfSource: EDF, EDF+ and BDF/BDF+ files, read as MNE's
// mne.io.read_raw_edf / read_raw_bdf read them (mne 1.3, infer_types=False):
// values in volts, float64 ((digital * cal + offset) * unit factor, with
// cal = (pmax - pmin) / (dmax - dmin) and offset = pmin - dmin * cal; the
// factor is 1e-6 for "uV"/"µV", 1e-3 for "mV", 1 otherwise), channels
// named by their labels (annotation signals are not channels; duplicate
// labels get MNE's "-0", "-1" suffixes), typed "eeg" except "Status" /
// "Trigger", which are "stim" channels holding the low 17 bits of their
// value (BDF: the digital value). The band comes from the signals'
// prefiltering fields ("HP:0.1Hz LP:75Hz") by MNE's rule; EDF+ annotations
// (TALs) become events. Every signal must have the same sampling rate (MNE
// would resample the others; here that is an error naming the groups).
//
// Samples are read with pread from the records a frame range covers, no
// library and no lock: reads from several threads run in parallel.
//
// Example:
//   NF_ASSIGN_OR_RETURN(std::unique_ptr<EdfSource> edf, EdfSource::Open("s01.edf"));
//   NF_ASSIGN_OR_RETURN(Traces volts, edf->GetTraces(0, 256));
#ifndef NEUROFEAT_CORE_IO_EDF_SOURCE_H_
#define NEUROFEAT_CORE_IO_EDF_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"
#include "core/io/regular_file.h"
#include "core/source/trace_source.h"

namespace neurofeat {

class EdfSource final : public TraceSource {
 public:
  // Open() reads and checks the header (every field that sizes anything,
  // against the file's real size; a header whose record count is -1, as
  // written while recording, takes the whole records the file holds).
  // Errors: NotFound, InvalidArgument naming the file, the signal and the
  // field.
  static absl::StatusOr<std::unique_ptr<EdfSource>> Open(const std::string& path);

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return frames_; }
  SampleType sample_type() const override { return SampleType::kFloat64; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

  // Events() are the EDF+ annotations (TALs) in file order, onsets rounded
  // to frames as MNE's time_as_index does. Reads the annotation signal of
  // every record (bounded at 64 MiB).
  absl::StatusOr<std::vector<RecordingEvent>> Events() const;

 private:
  EdfSource() = default;

  struct Signal {
    int64_t offset_in_record = 0;  // samples before this signal in a record
    double cal = 1.0, offset = 0.0, unit = 1.0;
    bool stim = false;
  };
  ScopedFd fd_;
  std::string path_;
  std::vector<Signal> signals_;
  // Annotation signals: offset in a record and samples per record.
  std::vector<std::pair<int64_t, int64_t>> annotations_;
  int64_t header_bytes_ = 0;
  int64_t samples_per_record_ = 0;  // of each channel
  int64_t record_samples_ = 0;      // of all signals, annotations included
  int64_t records_ = 0;
  int bytes_per_sample_ = 2;
  int64_t frames_ = 0;
  RecordingInfo info_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_EDF_SOURCE_H_
