// Recording readers, one file at a time: OpenRecordingFile() (format by
// name and content) and every frame read with GetTraces() in blocks of
// --block-seconds, on one thread. bench/reader_bench.py runs it against
// MNE's read_raw_*(preload=False).get_data() on the same files and prints
// the ratio.
//
//   build/bench/reader_bench FILE [--format auto] [--block-seconds 10]
//                           [--sample-bytes N] [--reps 1] [--sums]
//
// Each rep prints one line of key=value pairs: open_s (OpenRecordingFile),
// read_s (every block), seconds (both), cpu_s (process CPU time over the
// same span: about `seconds` when one thread worked), and with
// --sample-bytes (bytes one stored sample takes: 2 for int16, 3 for BDF,
// 4 for float32) sample_mb and mb_per_s, the stored sample bytes read per
// second. --sums adds, after the timed reps, an untimed pass printing each
// channel's sum and sum of squares (channel_sums=..., channel_sumsq=...),
// which the driver compares with MNE's values.
#include <time.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_timing.h"
#include "core/io/recording_readers.h"
#include "core/status_macros.h"
#include "core/traces.h"
#include "tbb/global_control.h"

namespace neurofeat {
namespace {

using bench::Now;

struct Args {
  std::string path;
  std::string format = "auto";
  double block_seconds = 10;
  int sample_bytes = 0;
  int reps = 1;
  bool sums = false;
};

absl::StatusOr<Args> ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const bool has_value = i + 1 < argc;
    if (k == "--sums") {
      args.sums = true;
    } else if (k == "--format" && has_value) {
      args.format = argv[++i];
    } else if (k == "--block-seconds" && has_value) {
      args.block_seconds = std::strtod(argv[++i], nullptr);
    } else if (k == "--sample-bytes" && has_value) {
      args.sample_bytes = std::atoi(argv[++i]);
    } else if (k == "--reps" && has_value) {
      args.reps = std::atoi(argv[++i]);
    } else if (!k.empty() && k[0] != '-' && args.path.empty()) {
      args.path = k;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("argument ", k, " is not known"));
    }
  }
  if (args.path.empty()) return absl::InvalidArgumentError("FILE is missing");
  if (!(args.block_seconds > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--block-seconds=", args.block_seconds, " is not positive"));
  }
  if (args.reps < 1) return absl::InvalidArgumentError(absl::StrCat("--reps=", args.reps));
  return args;
}

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Block length in frames for `seconds` at `rate_hz` (at least one frame).
int64_t BlockFrames(double seconds, double rate_hz) {
  const double frames = seconds * rate_hz;
  return frames < 1 ? 1 : static_cast<int64_t>(frames);
}

// One timed open and read of every frame.
absl::Status TimedRead(const Args& args, RecordingFormat format) {
  const double cpu0 = CpuSeconds();
  const double t0 = Now();
  NF_ASSIGN_OR_RETURN(OpenedRecording rec, OpenRecordingFile(args.path, format, ReaderOptions{}));
  const double t1 = Now();
  const TraceSource& source = *rec.source;
  const int64_t frames = source.num_frames();
  const int64_t block = BlockFrames(args.block_seconds, source.info().sampling_rate_hz);
  for (int64_t start = 0; start < frames; start += block) {
    const int64_t end = std::min(frames, start + block);
    NF_ASSIGN_OR_RETURN(Traces t, source.GetTraces(start, end));
    if (t.frames() != end - start) {
      return absl::InternalError(
          absl::StrCat("GetTraces(", start, ", ", end, ") gave ", t.frames(), " frames"));
    }
  }
  const double t2 = Now();
  const double cpu = CpuSeconds() - cpu0;
  const int64_t channels = source.num_channels();
  std::printf("file=%s format=%s frames=%" PRId64 " channels=%" PRId64
              " rate_hz=%g block_frames=%" PRId64
              " open_s=%.6f read_s=%.6f seconds=%.6f cpu_s=%.6f",
              args.path.c_str(), RecordingFormatName(rec.format), frames, channels,
              source.info().sampling_rate_hz, block, t1 - t0, t2 - t1, t2 - t0, cpu);
  if (args.sample_bytes > 0) {
    const double mb =
        1e-6 * static_cast<double>(frames) * static_cast<double>(channels) * args.sample_bytes;
    std::printf(" sample_mb=%.3f mb_per_s=%.1f", mb, mb / (t2 - t0));
  }
  std::printf("\n");
  std::fflush(stdout);
  return absl::OkStatus();
}

// Per-channel sums and sums of squares of every value, untimed.
absl::Status PrintSums(const Args& args, RecordingFormat format) {
  NF_ASSIGN_OR_RETURN(OpenedRecording rec, OpenRecordingFile(args.path, format, ReaderOptions{}));
  const TraceSource& source = *rec.source;
  const int64_t frames = source.num_frames();
  const int64_t channels = source.num_channels();
  if (source.sample_type() != SampleType::kFloat64) {
    return absl::UnimplementedError(absl::StrCat("--sums reads float64 sources; ", args.path,
                                                 " gives ", SampleTypeName(source.sample_type())));
  }
  const int64_t block = BlockFrames(args.block_seconds, source.info().sampling_rate_hz);
  std::vector<double> sum(static_cast<size_t>(channels)), sumsq(static_cast<size_t>(channels));
  for (int64_t start = 0; start < frames; start += block) {
    NF_ASSIGN_OR_RETURN(Traces t, source.GetTraces(start, std::min(frames, start + block)));
    for (int64_t f = 0; f < t.frames(); ++f) {
      const double* row = t.row<double>(f);
      for (int64_t c = 0; c < channels; ++c) {
        sum[static_cast<size_t>(c)] += row[c];
        sumsq[static_cast<size_t>(c)] += row[c] * row[c];
      }
    }
  }
  for (const auto& [name, v] : {std::pair{"channel_sums", &sum}, {"channel_sumsq", &sumsq}}) {
    std::printf("%s=", name);
    for (size_t c = 0; c < v->size(); ++c) std::printf("%s%.17g", c ? "," : "", (*v)[c]);
    std::printf("\n");
  }
  return absl::OkStatus();
}

absl::Status Run(int argc, char** argv) {
  NF_ASSIGN_OR_RETURN(const Args args, ParseArgs(argc, argv));
  NF_ASSIGN_OR_RETURN(const RecordingFormat format, ParseRecordingFormat(args.format));
  for (int r = 0; r < args.reps; ++r) NF_RETURN_IF_ERROR(TimedRead(args, format));
  if (args.sums) NF_RETURN_IF_ERROR(PrintSums(args, format));
  return absl::OkStatus();
}

}  // namespace
}  // namespace neurofeat

int main(int argc, char** argv) {
  // One thread: nothing the readers might hand to TBB runs in parallel.
  tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
  const absl::Status status = neurofeat::Run(argc, argv);
  if (!status.ok()) {
    std::fprintf(stderr, "reader_bench: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
