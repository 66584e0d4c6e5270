// File: text_file.h
//
// ReadTextFile(): the whole of a small text file (pipeline JSON), or
// NotFound naming the flag and path.
#ifndef NEUROFEAT_CLIENT_CLI_TEXT_FILE_H_
#define NEUROFEAT_CLIENT_CLI_TEXT_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace neurofeat::client {

absl::StatusOr<std::string> ReadTextFile(const std::string& path, const std::string& what);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_TEXT_FILE_H_
