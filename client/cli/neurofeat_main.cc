// neurofeat: the command-line client. Subcommands run the embedded engine
// in-process.
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "client/cli/commands.h"

namespace {

void PrintUsage(FILE* out) {
  std::fprintf(
      out,
      "usage: neurofeat COMMAND [flags]\n\n"
      "commands:\n"
      "  preprocess   filter / re-reference a recording (chunked) into an .npy file\n"
      "  extract      compute a feature table (EEGDash names) from a recording, a manifest or\n"
      "               a BIDS dataset (--bids)\n"
      "  fit          fit a pipeline's trainable features (CommonSpatialPattern) on labelled "
      "windows\n"
      "  features     list the feature bank (--server: a server's)\n"
      "  info         a server's version, CPU and memory limits, data roots\n"
      "  health       a server's health (SERVING or not)\n"
      "  generate     write a synthetic extracellular recording to .npy\n"
      "  bids-plan    a BIDS dataset's recordings, sidecars and windows, as JSON\n"
      "  upload       send a local recording (any format) to a server; prints its Recording\n\n"
      "'neurofeat COMMAND --help' lists a command's flags.\n");
}

}  // namespace

int main(int argc, char** argv) {
  // Blocks of windows and chunks (1-50 MB) are allocated and freed over and
  // over: kept in the heap instead of returned to the kernel each time, they
  // are not page-faulted and zeroed anew (that was a sixth of a short
  // extract's time). The process's peak stays what the work needs.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "preprocess") return neurofeat::client::RunPreprocessCommand(argc, argv);
  if (command == "extract") return neurofeat::client::RunExtractCommand(argc, argv);
  if (command == "fit") return neurofeat::client::RunFitCommand(argc, argv);
  if (command == "features") return neurofeat::client::RunFeaturesCommand(argc, argv);
  if (command == "info") return neurofeat::client::RunInfoCommand(argc, argv);
  if (command == "health") return neurofeat::client::RunHealthCommand(argc, argv);
  if (command == "generate") return neurofeat::client::RunGenerateCommand(argc, argv);
  if (command == "bids-plan") return neurofeat::client::RunBidsPlanCommand(argc, argv);
  if (command == "upload") return neurofeat::client::RunUploadCommand(argc, argv);
  if (command == "--help" || command == "help" || command == "-h") {
    PrintUsage(stdout);
    return 0;
  }
  std::fprintf(stderr, "neurofeat: unknown command '%s'\n", command.c_str());
  PrintUsage(stderr);
  return 2;
}
