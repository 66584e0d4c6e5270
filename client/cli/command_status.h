// File: command_status.h
//
// ReportCommandError(): prints a Status for a person and maps it to an exit
// code: 2 for usage errors (InvalidArgument from flag parsing), 1 otherwise.
// ParseCommandArgs(): a subcommand's flags, or the exit code when parsing
// already finished the command (a usage error, or --help).
#ifndef NEUROFEAT_CLIENT_CLI_COMMAND_STATUS_H_
#define NEUROFEAT_CLIENT_CLI_COMMAND_STATUS_H_

#include <cstdio>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "cmdline/args.h"

namespace neurofeat::client {

inline int ReportCommandError(const std::string& command, const absl::Status& status,
                              bool usage = false) {
  std::fprintf(stderr, "neurofeat %s: error: %s\n", command.c_str(),
               std::string(status.message()).c_str());
  return usage ? 2 : 1;
}

// Returns the parsed flags, or nullopt with *exit_code set: 2 after printing
// the usage and the error, 0 after printing the usage for --help.
inline std::optional<ParsedArgs> ParseCommandArgs(const ArgParser& parser,
                                                  const std::string& command, int argc, char** argv,
                                                  int* exit_code) {
  absl::StatusOr<ParsedArgs> args = parser.Parse(argc, argv, 2);
  if (!args.ok()) {
    std::fprintf(stderr, "%s", parser.Usage().c_str());
    *exit_code = ReportCommandError(command, args.status(), /*usage=*/true);
    return std::nullopt;
  }
  if (args->Has("help")) {
    std::printf("%s", parser.Usage().c_str());
    *exit_code = 0;
    return std::nullopt;
  }
  return *std::move(args);
}

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_COMMAND_STATUS_H_
