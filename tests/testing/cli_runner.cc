#include "tests/testing/cli_runner.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace neurofeat::testing {

namespace {

CliResult RunLogged(const std::string& cmd, const std::string& log) {
  const int raw = std::system(absl::StrCat(cmd, " > ", log, " 2>&1").c_str());
  CliResult r;
  r.exit_code = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  return r;
}

}  // namespace

CliResult RunCli(const std::string& binary_dir, const std::string& args, const TempDir& dir) {
  const std::string log = dir.File("cli.log");
  // The result cache goes to the test's own directory, never the user's.
  return RunLogged(absl::StrCat("XDG_CACHE_HOME=", dir.File("xdg-cache"), " timeout 120 ",
                                binary_dir, "/client/cli/neurofeat ", args),
                   log);
}

CliResult RunPython(const std::string& script, const std::string& args, const TempDir& dir) {
  // MNE writes its configuration under $HOME; a test never touches the
  // user's.
  return RunLogged(absl::StrCat("HOME=", dir.path(), " MNE_DONTWRITE_HOME=true timeout 300 ",
                                "/usr/bin/python3 ", NF_TESTS_SOURCE_DIR, "/", script, " ", args),
                   dir.File("python.log"));
}

}  // namespace neurofeat::testing
