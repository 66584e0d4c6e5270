// File: cli_runner.h
//
// RunCli(): runs the built `neurofeat` binary with arguments (through the
// shell, with a 120 s timeout) and captures its exit code and output.
#ifndef NEUROFEAT_TESTS_TESTING_CLI_RUNNER_H_
#define NEUROFEAT_TESTS_TESTING_CLI_RUNNER_H_

#include <string>

#include "tests/testing/test_data.h"

namespace neurofeat::testing {

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// `binary_dir` is the build tree (NF_BINARY_DIR in tests).
CliResult RunCli(const std::string& binary_dir, const std::string& args, const TempDir& dir);

// RunPython() runs Debian's /usr/bin/python3 (which has numpy, scipy, mne,
// h5py) on a script under tests/ with arguments, through the shell with a
// 300 s timeout, and captures its exit code and output. `script` is
// relative to the source tree's tests/ folder ("core/io/make_fif_files.py").
CliResult RunPython(const std::string& script, const std::string& args, const TempDir& dir);

}  // namespace neurofeat::testing

#endif  // NEUROFEAT_TESTS_TESTING_CLI_RUNNER_H_
