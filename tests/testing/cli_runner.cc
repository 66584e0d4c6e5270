#include "tests/testing/cli_runner.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace neurofeat::testing {

CliResult RunCli(const std::string& binary_dir, const std::string& args, const TempDir& dir) {
  const std::string log = dir.File("cli.log");
  // The result cache goes to the test's own directory, never the user's.
  const std::string cmd =
      absl::StrCat("XDG_CACHE_HOME=", dir.File("xdg-cache"), " timeout 120 ", binary_dir,
                   "/client/cli/neurofeat ", args, " > ", log, " 2>&1");
  const int raw = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  return r;
}

}  // namespace neurofeat::testing
