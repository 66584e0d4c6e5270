#include "loadtest/load_generator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "api/request_convert.h"
#include "client/lib/neurofeat_client.h"
#include "core/exec/compute_arena.h"
#include "core/job/extraction_job.h"
#include "core/job/preprocess_job.h"
#include "core/status_macros.h"

namespace neurofeat::loadtest {
namespace {

using Clock = std::chrono::steady_clock;

void AppendDoubles(std::string* out, const double* v, size_t n) {
  out->append(reinterpret_cast<const char*>(v), n * sizeof(double));
}

// What the embedded engine answers to a template: the rows' values, or the
// traces' bytes, in order.
absl::StatusOr<std::string> EmbeddedAnswer(const RequestTemplate& t, const std::string& root) {
  api::FileAccess files;
  files.resolve = [root](const std::string& p) -> absl::StatusOr<std::string> {
    return p.front() == '/' ? p : absl::StrCat(root, "/", p);
  };
  std::string out;
  absl::Status status;
  RunInArena([&] {
    status = [&]() -> absl::Status {
      if (t.rpc == Rpc::kExtract) {
        NF_ASSIGN_OR_RETURN(ExtractionSpec spec, api::ToExtractionSpec(t.extract, files));
        NF_ASSIGN_OR_RETURN(auto job, ExtractionJob::Create(std::move(spec), {}));
        while (true) {
          NF_ASSIGN_OR_RETURN(std::optional<FeatureTable> block, job->NextBlock());
          if (!block.has_value()) break;
          AppendDoubles(&out, block->values.data(), block->values.size());
        }
      } else {
        NF_ASSIGN_OR_RETURN(PreprocessSpec spec, api::ToPreprocessSpec(t.preprocess, files));
        NF_ASSIGN_OR_RETURN(auto job, PreprocessJob::Create(std::move(spec)));
        while (true) {
          NF_ASSIGN_OR_RETURN(std::optional<TraceChunk> chunk, job->NextChunk());
          if (!chunk.has_value()) break;
          out.append(reinterpret_cast<const char*>(chunk->traces.bytes()),
                     chunk->traces.size_bytes());
        }
      }
      return absl::OkStatus();
    }();
  });
  NF_RETURN_IF_ERROR(status);
  return out;
}

struct Outcome {
  absl::Status status;
  client::CallDetails details;
  std::string answer;  // when verifying
};

Outcome Send(client::NeurofeatClient& client, const RequestTemplate& t, bool keep_answer) {
  Outcome o;
  switch (t.rpc) {
    case Rpc::kExtract:
      o.status = client.Extract(
          t.extract,
          [&](const v1::ExtractResponse& r) {
            if (keep_answer)
              AppendDoubles(&o.answer, r.rows().values().data(), r.rows().values_size());
            return absl::OkStatus();
          },
          &o.details);
      break;
    case Rpc::kPreprocess:
      o.status = client.Preprocess(
          t.preprocess,
          [&](const v1::PreprocessResponse& r) {
            if (keep_answer) o.answer += r.chunk().data();
            return absl::OkStatus();
          },
          &o.details);
      break;
    case Rpc::kUpload:
      o.status = client.UploadNpy(t.upload_file, int64_t{1} << 20, nullptr).status();
      break;
    case Rpc::kFit:
      o.status = client.Fit(t.fit, &o.details).status();
      break;
  }
  return o;
}

class Run {
 public:
  Run(const Scenario& s, client::NeurofeatClient& client, std::vector<std::string> expected)
      : s_(s), client_(client), expected_(std::move(expected)), rng_(42) {
    double total = 0;
    for (const RequestTemplate& t : s.requests) cumulative_.push_back(total += t.weight);
    verify_count_.assign(s.requests.size(), 0);
  }

  LoadReport Go() {
    start_ = Clock::now();
    counted_from_ = start_ + Seconds(s_.warmup_s);
    const auto end = counted_from_ + Seconds(s_.duration_s);
    if (s_.open_loop) {
      for (int64_t k = 0;; ++k) {
        const auto at = start_ + Seconds(static_cast<double>(k) / s_.rate);
        if (at >= end) break;
        std::this_thread::sleep_until(at);
        const size_t which = Pick();
        const bool counted = at >= counted_from_;
        if (outstanding_.load() >= s_.max_outstanding) {
          if (counted) Note([&] { ++report_.client_saturated; });
          continue;
        }
        ++outstanding_;
        std::thread([this, which, counted] {
          One(which, counted);
          Done();
        }).detach();
      }
    } else {
      std::vector<std::thread> clients;
      for (int c = 0; c < s_.concurrency; ++c) {
        clients.emplace_back([this, end, c] {
          while (Clock::now() < end) {
            const size_t which = s_.round_robin ? c % s_.requests.size() : Pick();
            One(which, Clock::now() >= counted_from_);
          }
        });
      }
      for (auto& t : clients) t.join();
    }
    // Wait for the stragglers (each is bounded by its deadline).
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return outstanding_.load() == 0; });
    report_.seconds = s_.duration_s;
    std::sort(report_.latency_ok_s.begin(), report_.latency_ok_s.end());
    std::sort(report_.latency_all_s.begin(), report_.latency_all_s.end());
    return report_;
  }

 private:
  static Clock::duration Seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  size_t Pick() {
    std::lock_guard<std::mutex> lock(mu_);
    const double x = std::uniform_real_distribution<double>(0, cumulative_.back())(rng_);
    return std::lower_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
  }

  template <typename Fn>
  void Note(Fn fn) {
    std::lock_guard<std::mutex> lock(mu_);
    fn();
  }

  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--outstanding_ == 0) done_cv_.notify_all();
  }

  void One(size_t which, bool counted) {
    const RequestTemplate& t = s_.requests[which];
    bool verify = false;
    if (counted && s_.verify_every > 0 && !expected_[which].empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      verify = verify_count_[which]++ % s_.verify_every == 0;
    }
    const auto t0 = Clock::now();
    Outcome o = Send(client_, t, verify);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!counted) return;
    Note([&] {
      ++report_.sent;
      auto& rpc = report_.by_rpc[RpcName(t.rpc)];
      ++rpc.first;
      if (o.status.ok()) ++rpc.second;
      ++report_.by_code[absl::StatusCodeToString(o.status.code())];
      report_.latency_all_s.push_back(seconds);
      if (o.status.ok()) {
        ++report_.ok;
        report_.latency_ok_s.push_back(seconds);
        if (verify) {
          ++report_.verified;
          if (o.answer != expected_[which]) ++report_.wrong;
        }
      } else if (absl::IsResourceExhausted(o.status) && t.rpc != Rpc::kUpload &&
                 !o.details.retry_pushback.has_value()) {
        ++report_.exhausted_without_retry_hint;
      }
    });
  }

  const Scenario& s_;
  client::NeurofeatClient& client_;
  std::vector<std::string> expected_;
  std::vector<double> cumulative_;
  std::vector<int64_t> verify_count_;
  std::mt19937 rng_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::atomic<int> outstanding_{0};
  Clock::time_point start_, counted_from_;
  LoadReport report_;
};

}  // namespace

absl::StatusOr<int64_t> ProcStatusBytes(int pid, const std::string& field) {
  const std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    int64_t kb = 0;
    for (absl::string_view part :
         absl::StrSplit(line.substr(field.size() + 1), ' ', absl::SkipEmpty())) {
      if (absl::SimpleAtoi(part, &kb)) return kb * 1024;
    }
  }
  return absl::NotFoundError(absl::StrCat("--server-pid: no ", field, " in ", path));
}

double LoadReport::Percentile(const std::vector<double>& sorted, double p) const {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * (sorted.size() - 1) + 0.5));
  return sorted[i];
}

std::string LoadReport::Format() const {
  std::string out = absl::StrFormat("sent %d in %.1f s: %.1f ok/s (%.1f answered/s)\n", sent,
                                    seconds, ok / seconds, static_cast<double>(sent) / seconds);
  absl::StrAppendFormat(&out, "latency ok   p50 %.3f s  p90 %.3f s  p99 %.3f s  max %.3f s\n",
                        Percentile(latency_ok_s, 0.5), Percentile(latency_ok_s, 0.9),
                        Percentile(latency_ok_s, 0.99),
                        latency_ok_s.empty() ? 0.0 : latency_ok_s.back());
  absl::StrAppendFormat(&out, "latency all  p50 %.3f s  p90 %.3f s  p99 %.3f s  max %.3f s\n",
                        Percentile(latency_all_s, 0.5), Percentile(latency_all_s, 0.9),
                        Percentile(latency_all_s, 0.99),
                        latency_all_s.empty() ? 0.0 : latency_all_s.back());
  out += "codes:";
  for (const auto& [code, n] : by_code) absl::StrAppend(&out, " ", code, "=", n);
  absl::StrAppendFormat(&out,
                        "\nRESOURCE_EXHAUSTED without a retry hint: %d; client saturated: %d\n"
                        "verified %d answers against the embedded engine: %d wrong\n",
                        exhausted_without_retry_hint, client_saturated, verified, wrong);
  out += "by rpc (ok/sent):";
  for (const auto& [rpc, n] : by_rpc) absl::StrAppend(&out, " ", rpc, "=", n.second, "/", n.first);
  out += "\n";
  if (memory.has_value()) {
    const auto mib = [](int64_t b) { return static_cast<double>(b) / (1 << 20); };
    absl::StrAppendFormat(
        &out,
        "server RSS: start %.0f MiB, peak %.0f MiB (+%.0f MiB over start; budget %.0f MiB), "
        "%.0f s after the last answer %.0f MiB (+%.0f MiB)\n",
        mib(memory->start_bytes), mib(memory->peak_bytes),
        mib(memory->peak_bytes - memory->start_bytes), mib(memory->budget_bytes),
        memory->idle_after_s, mib(memory->idle_bytes),
        mib(memory->idle_bytes - memory->start_bytes));
  }
  return out;
}

absl::StatusOr<LoadReport> RunLoad(const Scenario& scenario, const LoadOptions& options) {
  std::vector<std::string> expected(scenario.requests.size());
  if (scenario.verify_every > 0) {
    if (options.data_root.empty()) {
      return absl::InvalidArgumentError("verify_every needs the server's data root (--data-root)");
    }
    for (size_t i = 0; i < scenario.requests.size(); ++i) {
      if (scenario.requests[i].rpc == Rpc::kUpload || scenario.requests[i].rpc == Rpc::kFit) {
        continue;
      }
      NF_ASSIGN_OR_RETURN(expected[i], EmbeddedAnswer(scenario.requests[i], options.data_root));
    }
  }
  client::ClientOptions o;
  o.target = options.target;
  o.deadline = std::chrono::milliseconds(static_cast<int64_t>(scenario.deadline_s * 1000));
  o.max_message_bytes = int64_t{256} << 20;
  NF_ASSIGN_OR_RETURN(std::unique_ptr<client::NeurofeatClient> client,
                      client::NeurofeatClient::Connect(o));
  std::optional<MemoryReport> memory;
  if (options.server_pid > 0) {
    memory.emplace();
    NF_ASSIGN_OR_RETURN(const v1::ServerInfo info, client->Info());
    memory->budget_bytes = info.memory_budget_bytes();
    memory->idle_after_s = options.idle_after_s;
    NF_ASSIGN_OR_RETURN(memory->start_bytes, ProcStatusBytes(options.server_pid, "VmRSS"));
    std::ofstream(absl::StrCat("/proc/", options.server_pid, "/clear_refs")) << "5";
  }
  Run run(scenario, *client, std::move(expected));
  LoadReport report = run.Go();
  if (memory.has_value()) {
    NF_ASSIGN_OR_RETURN(memory->peak_bytes, ProcStatusBytes(options.server_pid, "VmHWM"));
    std::this_thread::sleep_for(std::chrono::duration<double>(options.idle_after_s));
    NF_ASSIGN_OR_RETURN(memory->idle_bytes, ProcStatusBytes(options.server_pid, "VmRSS"));
    report.memory = memory;
  }
  return report;
}

}  // namespace neurofeat::loadtest
