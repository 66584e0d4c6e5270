// File: progress.h
//
// ProgressBar: a one-line progress bar on stderr for long jobs, drawn only
// when stderr is a terminal (logs and pipes stay clean), at most ~10 times a
// second.
//
// Example:
//   ProgressBar bar("preprocess", /*enabled=*/ProgressBar::StderrIsTerminal());
//   bar.Update(done, total);
//   bar.Finish();
#ifndef NEUROFEAT_CLIENT_CLI_PROGRESS_H_
#define NEUROFEAT_CLIENT_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace neurofeat::client {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled) {}
  static bool StderrIsTerminal();
  void Update(int64_t done, int64_t total);
  void Finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_PROGRESS_H_
