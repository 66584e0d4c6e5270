#include "core/dataset/bids_dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/dataset/tsv.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"
#include "core/util/json.h"

namespace neurofeat {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxSidecarBytes = int64_t{16} << 20;

// A BIDS file name: key-value entities, the suffix and the extension
// ("sub-01_task-rest_run-1_eeg.vhdr" -> {sub:01, task:rest, run:1}, eeg,
// .vhdr).
struct BidsName {
  std::vector<std::pair<std::string, std::string>> entities;
  std::string suffix;
  std::string extension;

  std::string Get(const std::string& key) const {
    for (const auto& [k, v] : entities) {
      if (k == key) return v;
    }
    return "";
  }
};

std::optional<BidsName> ParseBidsName(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '_');
  if (parts.size() < 2) return std::nullopt;
  BidsName out;
  std::string last = parts.back();
  const size_t dot = last.find('.');
  if (dot == std::string::npos) return std::nullopt;
  out.suffix = last.substr(0, dot);
  out.extension = last.substr(dot);
  parts.pop_back();
  for (const std::string& p : parts) {
    const size_t dash = p.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == p.size()) return std::nullopt;
    out.entities.push_back({p.substr(0, dash), p.substr(dash + 1)});
  }
  return out;
}

bool SameRun(const std::string& a, const std::string& b) {
  int64_t x = 0, y = 0;
  if (absl::SimpleAtoi(a, &x) && absl::SimpleAtoi(b, &y)) return x == y;
  return a == b;
}

std::string Unprefixed(const std::string& label, absl::string_view prefix) {
  return absl::StartsWith(label, prefix) ? label.substr(prefix.size()) : label;
}

bool Wanted(const std::vector<std::string>& keep, const std::string& value,
            absl::string_view prefix, bool numeric) {
  if (keep.empty()) return true;
  for (const std::string& k : keep) {
    const std::string label = Unprefixed(k, prefix);
    if (numeric ? SameRun(label, value) : label == value) return true;
  }
  return false;
}

// Folder listings, read once each, through the access policy.
class Listings {
 public:
  Listings(std::string root, const BidsAccess& access) : root_(std::move(root)), access_(access) {}

  // Entries of a folder relative to the root ("" is the root), sorted;
  // a folder that cannot be listed has none.
  const std::vector<std::pair<std::string, bool>>& Entries(const std::string& relative) {
    auto it = cache_.find(relative);
    if (it != cache_.end()) return it->second;
    std::vector<std::pair<std::string, bool>>& out = cache_[relative];
    absl::StatusOr<std::string> dir = Resolve(relative);
    if (!dir.ok()) {
      // A folder the policy refuses (a link out of the data roots) is an
      // error of the scan, not an empty folder.
      if (dir.status().code() != absl::StatusCode::kNotFound) error_.Update(dir.status());
      return out;
    }
    std::error_code ec;
    for (fs::directory_iterator d(*dir, ec), end; !ec && d != end; d.increment(ec)) {
      std::error_code type_ec;
      out.push_back({d->path().filename().string(), d->is_directory(type_ec)});
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  absl::StatusOr<std::string> Resolve(const std::string& relative) const {
    const std::string path = relative.empty() ? root_ : absl::StrCat(root_, "/", relative);
    if (access_.resolve) return access_.resolve(path);
    return path;
  }

  // The first refusal met while listing (OK when none).
  const absl::Status& error() const { return error_; }

  absl::StatusOr<std::string> Read(const std::string& relative) const {
    NF_ASSIGN_OR_RETURN(const std::string path, Resolve(relative));
    absl::StatusOr<std::string> text = ReadSmallFile(path, kMaxSidecarBytes);
    if (!text.ok()) {
      return absl::Status(text.status().code(),
                          absl::StrCat(relative, ": ", text.status().message()));
    }
    return text;
  }

 private:
  std::string root_;
  const BidsAccess& access_;
  std::map<std::string, std::vector<std::pair<std::string, bool>>> cache_;
  absl::Status error_;
};

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : absl::StrCat(dir, "/", name);
}

// The sidecar `suffix` + `extension` of a recording by the inheritance
// principle; "" when there is none.
std::string FindSidecar(Listings& listings, const std::string& recording_path,
                        const BidsName& recording, const std::string& suffix,
                        const std::string& extension) {
  std::string dir = fs::path(recording_path).parent_path().generic_string();
  while (true) {
    std::string best;
    size_t best_entities = 0;
    for (const auto& [name, is_dir] : listings.Entries(dir)) {
      if (is_dir) continue;
      std::optional<BidsName> n = ParseBidsName(name);
      if (!n.has_value() || n->suffix != suffix || n->extension != extension) continue;
      bool subset = true;
      for (const auto& [k, v] : n->entities) {
        const std::string mine = recording.Get(k);
        subset = subset && !mine.empty() && (k == "run" ? SameRun(mine, v) : mine == v);
      }
      if (subset && (best.empty() || n->entities.size() > best_entities)) {
        best = name;
        best_entities = n->entities.size();
      }
    }
    if (!best.empty()) return Join(dir, best);
    if (dir.empty()) return "";
    const size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  }
}

absl::Status ReadChannels(Listings& listings, const std::string& path, BidsRecording* r) {
  NF_ASSIGN_OR_RETURN(const std::string text, listings.Read(path));
  NF_ASSIGN_OR_RETURN(const TsvTable t, ParseTsv(text, path));
  const std::optional<size_t> name = t.Column("name");
  if (!name.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no \"name\" column"));
  }
  const std::optional<size_t> status = t.Column("status");
  if (!status.has_value()) return absl::OkStatus();
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const std::string& s = t.rows[i][*status];
    if (s == "bad") {
      r->bad_channels.push_back(t.rows[i][*name]);
    } else if (s != "good" && !IsMissing(s)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", t.lines[i], ": status \"", s, "\" is not good, bad or n/a"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadEvents(Listings& listings, const std::string& path, BidsRecording* r) {
  NF_ASSIGN_OR_RETURN(const std::string text, listings.Read(path));
  NF_ASSIGN_OR_RETURN(const TsvTable t, ParseTsv(text, path));
  const std::optional<size_t> onset = t.Column("onset");
  const std::optional<size_t> duration = t.Column("duration");
  if (!onset.has_value() || !duration.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": BIDS events need \"onset\" and \"duration\" columns"));
  }
  const std::optional<size_t> trial_type = t.Column("trial_type");
  std::vector<BidsEvent> events;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    BidsEvent e;
    e.line = t.lines[i];
    const std::string& o = t.rows[i][*onset];
    if (!absl::SimpleAtod(o, &e.onset_s) || !std::isfinite(e.onset_s)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", e.line, ": onset \"", o, "\" is not a number of seconds"));
    }
    const std::string& d = t.rows[i][*duration];
    if (!IsMissing(d) &&
        (!absl::SimpleAtod(d, &e.duration_s) || !std::isfinite(e.duration_s) || e.duration_s < 0)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", e.line, ": duration \"", d,
                                                     "\" is not a non-negative number of seconds"));
    }
    if (trial_type.has_value() && !IsMissing(t.rows[i][*trial_type])) {
      e.trial_type = t.rows[i][*trial_type];
    }
    events.push_back(std::move(e));
  }
  r->events = std::move(events);
  return absl::OkStatus();
}

absl::Status ReadSamplingFrequency(Listings& listings, const std::string& path, BidsRecording* r) {
  NF_ASSIGN_OR_RETURN(const std::string text, listings.Read(path));
  absl::StatusOr<JsonValue> json = ParseJson(text);
  if (!json.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", json.status().message()));
  }
  const JsonValue* fs = json->is_object() ? json->Find("SamplingFrequency") : nullptr;
  if (fs == nullptr) return absl::OkStatus();
  if (!fs->is_number() || !(fs->number_value() > 0) || !std::isfinite(fs->number_value())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": SamplingFrequency is not a positive number"));
  }
  r->sampling_frequency = fs->number_value();
  r->sampling_frequency_source = path;
  return absl::OkStatus();
}

// participant_id -> the other columns' (name, value), in file order.
using Participants = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

absl::StatusOr<Participants> ReadParticipants(Listings& listings) {
  Participants out;
  bool present = false;
  for (const auto& [name, is_dir] : listings.Entries("")) {
    present = present || (!is_dir && name == "participants.tsv");
  }
  if (!present) return out;
  NF_ASSIGN_OR_RETURN(const std::string text, listings.Read("participants.tsv"));
  NF_ASSIGN_OR_RETURN(const TsvTable t, ParseTsv(text, "participants.tsv"));
  const std::optional<size_t> id = t.Column("participant_id");
  if (!id.has_value()) {
    return absl::InvalidArgumentError("participants.tsv: no \"participant_id\" column");
  }
  for (const std::vector<std::string>& row : t.rows) {
    std::vector<std::pair<std::string, std::string>> values;
    for (size_t c = 0; c < t.columns.size(); ++c) {
      if (c != *id) values.push_back({t.columns[c], IsMissing(row[c]) ? "" : row[c]});
    }
    out[row[*id]] = std::move(values);
  }
  return out;
}

bool IsRecordingExtension(const std::string& ext) {
  static const std::set<std::string> kExtensions = {".set", ".vhdr", ".edf",
                                                    ".bdf", ".fif",  ".nwb"};
  return kExtensions.count(ext) > 0;
}

// Recordings of one datatype folder.
void AddRecordings(Listings& listings, const std::string& dir, const std::string& datatype,
                   const BidsQuery& q, std::vector<std::pair<BidsName, std::string>>* found) {
  for (const auto& [name, is_dir] : listings.Entries(dir)) {
    if (is_dir) continue;
    std::optional<BidsName> n = ParseBidsName(name);
    if (!n.has_value() || n->suffix != datatype || !IsRecordingExtension(n->extension)) continue;
    const std::string split = n->Get("split");
    if (!split.empty() && !SameRun(split, "1")) continue;  // later parts of a split FIF
    if (!Wanted(q.subjects, n->Get("sub"), "sub-", false) ||
        !Wanted(q.sessions, n->Get("ses"), "ses-", false) ||
        !Wanted(q.tasks, n->Get("task"), "task-", false) ||
        !Wanted(q.runs, n->Get("run"), "run-", true)) {
      continue;
    }
    found->push_back({*n, Join(dir, name)});
  }
}

// BIDS order: subject, session, task, acquisition, run, path.
bool BidsBefore(const BidsRecording& a, const BidsRecording& b) {
  auto key = [](const BidsRecording& r) {
    int64_t run = -1;
    if (!absl::SimpleAtoi(r.run, &run)) run = -1;
    return std::make_tuple(r.subject, r.session, r.task, r.acquisition, run, r.run, r.path);
  };
  return key(a) < key(b);
}

BidsRecording Describe(Listings& listings, const BidsName& n, const std::string& path,
                       const std::string& datatype, const Participants& participants) {
  BidsRecording r;
  r.path = path;
  r.datatype = datatype;
  r.subject = n.Get("sub");
  r.session = n.Get("ses");
  r.task = n.Get("task");
  r.acquisition = n.Get("acq");
  r.run = n.Get("run");
  r.description = {
      {"subject", r.subject}, {"session", r.session}, {"task", r.task}, {"run", r.run}};
  auto p = participants.find(absl::StrCat("sub-", r.subject));
  if (p != participants.end()) {
    for (const auto& [column, value] : p->second) {
      bool taken = false;
      for (const auto& [k, v] : r.description) taken = taken || k == column;
      if (!taken) r.description.push_back({column, value});
    }
  }
  absl::Status problem;
  if (std::string c = FindSidecar(listings, path, n, "channels", ".tsv"); !c.empty()) {
    r.channels_source = c;
    problem.Update(ReadChannels(listings, c, &r));
  }
  if (std::string e = FindSidecar(listings, path, n, "events", ".tsv"); !e.empty()) {
    r.events_source = e;
    problem.Update(ReadEvents(listings, e, &r));
  }
  if (std::string j = FindSidecar(listings, path, n, datatype, ".json"); !j.empty()) {
    problem.Update(ReadSamplingFrequency(listings, j, &r));
  }
  r.problem = problem;
  return r;
}

}  // namespace

absl::StatusOr<std::vector<BidsRecording>> ScanBidsDataset(const std::string& root,
                                                           const BidsQuery& q,
                                                           const BidsAccess& access) {
  Listings listings(root, access);
  NF_ASSIGN_OR_RETURN(const std::string resolved_root, listings.Resolve(""));
  std::error_code ec;
  if (!fs::is_directory(resolved_root, ec)) {
    return absl::NotFoundError(absl::StrCat("bids: ", root, " is not a folder"));
  }
  NF_ASSIGN_OR_RETURN(const Participants participants, ReadParticipants(listings));
  std::vector<std::pair<BidsName, std::string>> found;
  std::set<std::string> subjects_seen;
  for (const auto& [sub, sub_is_dir] : listings.Entries("")) {
    if (!sub_is_dir || !absl::StartsWith(sub, "sub-")) continue;
    subjects_seen.insert(sub);
    std::vector<std::string> dirs = {sub};
    for (const auto& [ses, ses_is_dir] : listings.Entries(sub)) {
      if (ses_is_dir && absl::StartsWith(ses, "ses-")) dirs.push_back(Join(sub, ses));
    }
    for (const std::string& dir : dirs) {
      for (const std::string& datatype : q.datatypes) {
        AddRecordings(listings, Join(dir, datatype), datatype, q, &found);
      }
    }
  }
  NF_RETURN_IF_ERROR(listings.error());
  std::vector<BidsRecording> out;
  for (const auto& [name, path] : found) {
    std::string datatype = name.suffix;
    out.push_back(Describe(listings, name, path, datatype, participants));
  }
  std::sort(out.begin(), out.end(), BidsBefore);
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bids: no recording in ", root, " matches (datatypes ", absl::StrJoin(q.datatypes, ","),
        q.subjects.empty() ? "" : "; subjects ", absl::StrJoin(q.subjects, ","),
        q.sessions.empty() ? "" : "; sessions ", absl::StrJoin(q.sessions, ","),
        q.tasks.empty() ? "" : "; tasks ", absl::StrJoin(q.tasks, ","),
        q.runs.empty() ? "" : "; runs ", absl::StrJoin(q.runs, ","), "); the dataset has ",
        subjects_seen.size(), " subject folders"));
  }
  return out;
}

}  // namespace neurofeat
