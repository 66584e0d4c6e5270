// File: command_status.h
//
// ReportCommandError(): prints a Status for a person and maps it to an exit
// code: 2 for usage errors (InvalidArgument from flag parsing), 1 otherwise.
#ifndef NEUROFEAT_CLIENT_CLI_COMMAND_STATUS_H_
#define NEUROFEAT_CLIENT_CLI_COMMAND_STATUS_H_

#include <cstdio>
#include <string>

#include "absl/status/status.h"

namespace neurofeat::client {

inline int ReportCommandError(const std::string& command, const absl::Status& status,
                              bool usage = false) {
  std::fprintf(stderr, "neurofeat %s: error: %s\n", command.c_str(),
               std::string(status.message()).c_str());
  return usage ? 2 : 1;
}

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_COMMAND_STATUS_H_
