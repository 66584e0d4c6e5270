// File: manifest.h
//
// A dataset manifest for `neurofeat extract --manifest recordings.csv`: one
// recording per line. Columns: `input` (a local .npy, relative to the
// manifest's folder) or `remote_path` (a file under the server's data roots,
// with --server); optional `fs`, `channels` (names separated by ';' or, in
// a quoted field, ','), `highpass`, `lowpass`, `name` (the recording
// column; default the file name); every other column is the recording's
// description and goes into the table (`target` last, as EEGDash puts it).
//
// Example:
//   input,fs,subject,target
//   sub-01.npy,256,01,0
//   sub-02.npy,256,02,1
#ifndef NEUROFEAT_CLIENT_CLI_MANIFEST_H_
#define NEUROFEAT_CLIENT_CLI_MANIFEST_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace neurofeat::client {

struct ManifestEntry {
  int line = 0;      // 1-based line of the file, for messages
  std::string path;  // input (resolved) or remote_path
  std::string name;  // the recording column
  std::optional<double> fs, highpass, lowpass;
  std::vector<std::string> channels;
  std::vector<std::string> description;  // one per Manifest::description_keys
};

struct Manifest {
  bool remote = false;                        // remote_path rather than input
  std::vector<std::string> description_keys;  // in column order
  std::vector<ManifestEntry> entries;
};

// ReadManifest() parses the CSV (RFC 4180 quoting). Errors name the line and
// column: a missing input/remote_path column, both, a bad number, a row of
// another width.
absl::StatusOr<Manifest> ReadManifest(const std::string& path);

// SplitCsvLine() cuts one CSV record into fields.
absl::StatusOr<std::vector<std::string>> SplitCsvLine(const std::string& line);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_MANIFEST_H_
