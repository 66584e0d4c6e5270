#include "client/cli/text_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace neurofeat::client {

absl::StatusOr<std::string> ReadTextFile(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " file not found: ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace neurofeat::client
