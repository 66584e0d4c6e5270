// Every format through the server: each file the readers' test generators
// write (tests/core/io/make_*_files.py), named by --remote-path under a
// server's data root, gives the traces the embedded engine gives, byte for
// byte (`neurofeat preprocess` with an empty chain: the values as read).
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

namespace fs = std::filesystem;
using ::neurofeat::testing::ReadFile;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;

struct Format {
  const char* script;     // under tests/
  const char* extension;  // of the files to read
};

// Runs the generator into the server's data root, then reads every file of
// the format both ways; returns how many files both read.
int CompareThroughServer(const Format& f) {
  testing::ServerProcess server;
  EXPECT_TRUE(server.started()) << server.Log();
  TempDir dir;
  const std::string folder = server.data_root() + "/files";
  fs::create_directories(folder);
  const testing::CliResult made = testing::RunPython(f.script, folder, dir);
  EXPECT_EQ(made.exit_code, 0) << made.output;
  WriteFile(dir.File("p.json"), R"({"preprocess": []})");
  int compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    const std::string path = entry.path().string();
    if (!entry.is_regular_file() || !absl::EndsWith(path, f.extension)) continue;
    if (absl::StrContains(path, "-1.fif") || absl::StrContains(path, "-2.fif")) continue;
    const std::string rel = fs::relative(entry.path(), server.data_root()).string();
    const std::string common =
        absl::StrCat(" --pipeline ", dir.File("p.json"), " --dtype float32 --quiet --output ");
    const testing::CliResult embedded = testing::RunCli(
        NF_BINARY_DIR, absl::StrCat("preprocess --input ", path, common, dir.File("e.npy")), dir);
    const testing::CliResult remote = testing::RunCli(
        NF_BINARY_DIR,
        absl::StrCat("preprocess --server ", server.target(), " --remote-path ", rel, common,
                     dir.File("r.npy")),
        dir);
    SCOPED_TRACE(rel);
    // Files made to be refused are refused both ways.
    EXPECT_EQ(embedded.exit_code == 0, remote.exit_code == 0)
        << embedded.output << "\n" << remote.output;
    if (embedded.exit_code != 0 || remote.exit_code != 0) continue;
    EXPECT_EQ(ReadFile(dir.File("r.npy")), ReadFile(dir.File("e.npy")));
    ++compared;
  }
  return compared;
}

TEST(FormatsServiceTest, BrainVisionThroughTheServer) {
  EXPECT_GE(CompareThroughServer({"core/io/make_brainvision_files.py", ".vhdr"}), 5);
}
TEST(FormatsServiceTest, EeglabThroughTheServer) {
  EXPECT_GE(CompareThroughServer({"core/io/make_eeglab_files.py", ".set"}), 5);
}
TEST(FormatsServiceTest, FifThroughTheServer) {
  EXPECT_GE(CompareThroughServer({"core/io/make_fif_files.py", ".fif"}), 5);
}
TEST(FormatsServiceTest, NwbThroughTheServer) {
  EXPECT_GE(CompareThroughServer({"core/io/make_nwb_files.py", ".nwb"}), 4);
}
TEST(FormatsServiceTest, EdfThroughTheServer) {
  EXPECT_GE(CompareThroughServer({"cli/make_bids_dataset.py", ".edf"}), 2);
}

}  // namespace
}  // namespace neurofeat
