// File: commands.h
//
// The neurofeat subcommands run by the embedded engine. Each returns the
// process exit code (0 success, 1 failure, 2 usage error) and writes its
// errors to stderr as "neurofeat <command>: error: <message>".
#ifndef NEUROFEAT_CLIENT_CLI_COMMANDS_H_
#define NEUROFEAT_CLIENT_CLI_COMMANDS_H_

namespace neurofeat::client {

// neurofeat preprocess --input IN.npy --fs HZ --pipeline P.json --output OUT.npy ...
int RunPreprocessCommand(int argc, char** argv);

// neurofeat generate --output X.npy [--channels 384] [--duration 10s] ...
int RunGenerateCommand(int argc, char** argv);

// neurofeat extract --input X.npy --fs HZ --channels A,B --pipeline P.json --output OUT.csv ...
int RunExtractCommand(int argc, char** argv);

// neurofeat fit --input X.npy --labels y.npy --pipeline P.json --output fitted.json
int RunFitCommand(int argc, char** argv);

// neurofeat features [--server HOST:PORT]: lists the feature bank.
int RunFeaturesCommand(int argc, char** argv);

// neurofeat info --server HOST:PORT: a server's version, limits and roots.
int RunInfoCommand(int argc, char** argv);

// neurofeat health --server HOST:PORT: SERVING (exit 0) or not (exit 1).
int RunHealthCommand(int argc, char** argv);

// neurofeat bids-plan --bids ROOT [--server HOST:PORT] ...: a BIDS dataset's
// plan (PlanBidsResponse) as JSON.
int RunBidsPlanCommand(int argc, char** argv);

// neurofeat upload --server HOST:PORT --input X: uploads a local recording
// (any format) and prints the v1 Recording naming it, as JSON.
int RunUploadCommand(int argc, char** argv);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_COMMANDS_H_
