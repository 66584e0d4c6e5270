#include "client/cli/dataset_plan.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/bids_convert.h"
#include "api/dtype_convert.h"
#include "client/cli/manifest.h"
#include "client/cli/request_flags.h"
#include "core/io/recording_readers.h"
#include "core/job/bids_plan.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

// The base request with a manifest entry's recording and metadata.
DatasetEntry ManifestEntryOf(const v1::ExtractRequest& base, const ManifestEntry& e, bool upload,
                             v1::FileFormat format) {
  DatasetEntry out;
  out.label = absl::StrCat("line ", e.line);
  out.name = e.name;
  out.request = base;
  v1::Recording* r = out.request.mutable_recording();
  if (e.fs.has_value()) r->set_sampling_rate_hz(*e.fs);
  if (e.highpass.has_value()) r->set_highpass_hz(*e.highpass);
  if (e.lowpass.has_value()) r->set_lowpass_hz(*e.lowpass);
  if (!e.channels.empty()) {
    r->clear_channel_names();
    for (const std::string& c : e.channels) r->add_channel_names(c);
  }
  r->mutable_path()->set_path(e.path);
  r->mutable_path()->set_format(format);
  if (upload) out.upload_path = e.path;
  out.description = e.description;
  return out;
}

absl::StatusOr<DatasetPlan> PlanManifest(const ParsedArgs& args, const v1::ExtractRequest& base,
                                         bool remote) {
  NF_ASSIGN_OR_RETURN(const Manifest manifest, ReadManifest(args.Get("manifest")));
  if (manifest.remote && !remote) {
    return absl::InvalidArgumentError(
        absl::StrCat(args.Get("manifest"), ": a remote_path column needs --server"));
  }
  // Local inputs are read in place (embedded) or uploaded as .npy; remote
  // paths are read by the server in --format (default: detected).
  v1::FileFormat format = v1::NPY;
  if (manifest.remote) {
    NF_ASSIGN_OR_RETURN(RecordingFormat f,
                        ParseRecordingFormat(args.GetOptional("format").value_or("auto")));
    format = api::ToProtoFormat(f);
  } else if (!remote) {
    NF_ASSIGN_OR_RETURN(RecordingFormat f,
                        ParseRecordingFormat(args.GetOptional("format").value_or("auto")));
    format = api::ToProtoFormat(f);
  }
  DatasetPlan plan;
  plan.description_keys = manifest.description_keys;
  for (const ManifestEntry& e : manifest.entries) {
    plan.entries.push_back(ManifestEntryOf(base, e, remote && !manifest.remote, format));
  }
  return plan;
}

absl::StatusOr<std::vector<std::string>> ListFlag(const ParsedArgs& args, const char* name) {
  std::vector<std::string> out;
  if (auto v = args.GetOptional(name)) {
    for (absl::string_view s : absl::StrSplit(*v, ',', absl::SkipEmpty())) out.emplace_back(s);
  }
  return out;
}

absl::StatusOr<std::optional<double>> SecondsFlag(const ParsedArgs& args, const char* name,
                                                  bool positive) {
  std::optional<double> out;
  if (auto v = args.GetOptional(name)) {
    // Offsets may be negative (a trial starting before its event).
    const bool negative = !positive && !v->empty() && (*v)[0] == '-';
    NF_ASSIGN_OR_RETURN(double s, ParseDurationSeconds(negative ? v->substr(1) : *v, name,
                                                       /*allow_zero=*/!positive));
    out = negative ? -s : s;
  }
  return out;
}

absl::StatusOr<BidsPlanOptions> BidsOptionsFromFlags(const ParsedArgs& args,
                                                     const v1::Pipeline& pipeline) {
  BidsPlanOptions o;
  NF_ASSIGN_OR_RETURN(o.query.subjects, ListFlag(args, "subjects"));
  NF_ASSIGN_OR_RETURN(o.query.sessions, ListFlag(args, "sessions"));
  NF_ASSIGN_OR_RETURN(o.query.tasks, ListFlag(args, "task"));
  NF_ASSIGN_OR_RETURN(o.query.runs, ListFlag(args, "runs"));
  if (args.Has("datatype")) {
    NF_ASSIGN_OR_RETURN(o.query.datatypes, ListFlag(args, "datatype"));
  }
  o.keep_bad_channels = args.Has("keep-bad-channels");
  const std::string windows = args.GetOptional("windows").value_or("fixed");
  if (windows != "fixed" && windows != "events") {
    return absl::InvalidArgumentError(
        absl::StrCat("--windows=", windows, " is not fixed or events"));
  }
  o.windows =
      windows == "events" ? BidsPlanOptions::Windows::kEvents : BidsPlanOptions::Windows::kFixed;
  for (const char* flag : {"window-duration", "window-stride", "trial-start-offset",
                           "trial-stop-offset", "drop-last-window"}) {
    if (args.Has(flag) && o.windows != BidsPlanOptions::Windows::kEvents) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " shapes windows around events: give --windows events"));
    }
  }
  NF_ASSIGN_OR_RETURN(o.window_duration_s, SecondsFlag(args, "window-duration", true));
  NF_ASSIGN_OR_RETURN(o.window_stride_s, SecondsFlag(args, "window-stride", true));
  NF_ASSIGN_OR_RETURN(std::optional<double> start, SecondsFlag(args, "trial-start-offset", false));
  NF_ASSIGN_OR_RETURN(std::optional<double> stop, SecondsFlag(args, "trial-stop-offset", false));
  o.trial_start_offset_s = start.value_or(0);
  o.trial_stop_offset_s = stop.value_or(0);
  o.drop_last = args.Has("drop-last-window");
  if (pipeline.has_window()) o.pipeline_window_frames = pipeline.window().size_samples();
  return o;
}

// One BIDS recording's request: the planned file, rate, exclusions and
// windows over the base request (whose --fs/--channels must not disagree:
// each recording states its own).
DatasetEntry BidsEntryOf(const v1::ExtractRequest& base, const PlannedRecording& p,
                         const std::vector<std::string>& keys) {
  DatasetEntry out;
  out.label = p.bids.path;
  out.name = p.bids.path;
  out.request = base;
  v1::Recording* r = out.request.mutable_recording();
  r->mutable_path()->set_path(p.request.file.has_value() ? p.request.file->path : "");
  r->mutable_path()->set_format(v1::FILE_FORMAT_AUTO);
  if (p.request.sampling_rate_hz > 0) r->set_sampling_rate_hz(p.request.sampling_rate_hz);
  for (const std::string& c : p.request.exclude_channels) r->add_exclude_channels(c);
  for (int64_t s : p.window_starts) out.request.add_window_starts(s);
  out.request.set_window_frames(p.window_frames);
  out.targets = p.targets;
  std::map<std::string, std::string> values(p.bids.description.begin(), p.bids.description.end());
  for (const std::string& k : keys) out.description.push_back(values[k]);
  out.status = p.status;
  return out;
}

absl::StatusOr<DatasetPlan> PlanBids(const ParsedArgs& args, const v1::ExtractRequest& base,
                                     Replicas* replicas) {
  NF_ASSIGN_OR_RETURN(const std::vector<PlannedRecording> planned,
                      PlanBidsFromFlags(args, base.pipeline(), replicas));
  DatasetPlan plan;
  plan.window_targets = args.GetOptional("windows") == "events";
  // Every recording has subject, session, task, run and the participants
  // columns, in the order they first appear.
  for (const PlannedRecording& p : planned) {
    for (const auto& [k, v] : p.bids.description) {
      if (plan.window_targets && k == "target") continue;  // the events' target wins
      if (std::find(plan.description_keys.begin(), plan.description_keys.end(), k) ==
          plan.description_keys.end()) {
        plan.description_keys.push_back(k);
      }
    }
  }
  for (const PlannedRecording& p : planned) {
    plan.entries.push_back(BidsEntryOf(base, p, plan.description_keys));
  }
  return plan;
}

}  // namespace

absl::StatusOr<std::vector<PlannedRecording>> PlanBidsFromFlags(const ParsedArgs& args,
                                                                const v1::Pipeline& pipeline,
                                                                Replicas* replicas) {
  for (const char* flag : {"fs", "channels"}) {
    if (args.Has(flag)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, " does not go with --bids: each recording's header and sidecars state it"));
    }
  }
  NF_ASSIGN_OR_RETURN(const BidsPlanOptions options, BidsOptionsFromFlags(args, pipeline));
  const std::string root = args.Get("bids");
  if (replicas == nullptr) return PlanBidsDataset(root, options, RecordingFiles{});
  v1::PlanBidsResponse response;
  NF_RETURN_IF_ERROR(replicas->Call([&](NeurofeatClient& client, CallDetails*) -> absl::Status {
    NF_ASSIGN_OR_RETURN(response, client.PlanBids(api::ToPlanBidsRequest(root, options)));
    return absl::OkStatus();
  }));
  return api::FromPlanBidsResponse(response);
}

std::vector<FlagSpec> DatasetFlags() {
  return {
      {"manifest", true,
       "recordings.csv: a dataset, one recording per line (columns input or remote_path; "
       "optional fs, channels, highpass, lowpass, name; any other column is description). "
       "Writes one CSV table"},
      {"bids", true,
       "ROOT: a BIDS dataset (sub-*/[ses-*/]eeg/*_eeg.{set,vhdr,edf,bdf,fif}); one table with "
       "subject, session, task, run and participants.tsv's columns. With --server, ROOT is "
       "under the server's data roots"},
      {"task", true, "BIDS: tasks to keep (comma-separated)"},
      {"subjects", true, "BIDS: subjects to keep (comma-separated labels, e.g. 01,02)"},
      {"sessions", true, "BIDS: sessions to keep"},
      {"runs", true, "BIDS: runs to keep"},
      {"datatype", true, "BIDS: datatype folders, eeg (default), ieeg, meg"},
      {"keep-bad-channels", false, "BIDS: keep the channels *_channels.tsv marks bad"},
      {"windows", true,
       "BIDS: fixed (the pipeline's window, default) or events (windows around *_events.tsv "
       "rows, braindecode's create_windows_from_events; trial_type becomes `target`)"},
      {"window-duration", true, "events: window length (e.g. 2s); default each event's duration"},
      {"window-stride", true, "events: stride between windows inside an event; default the length"},
      {"trial-start-offset", true, "events: added to each onset (e.g. -0.5s). Default 0"},
      {"trial-stop-offset", true, "events: added to each onset + duration. Default 0"},
      {"drop-last-window", false, "events: no last window ending at the event's end"},
      {"on-error", true,
       "fail (default: no table if any recording fails, listing them) or skip (the table "
       "without them, listed in OUT.skipped.tsv)"},
  };
}

absl::StatusOr<DatasetPlan> PlanFromFlags(const ParsedArgs& args, const v1::ExtractRequest& base,
                                          Replicas* replicas) {
  if (args.Has("manifest") && args.Has("bids")) {
    return absl::InvalidArgumentError("--manifest and --bids: give one");
  }
  if (args.Has("bids")) return PlanBids(args, base, replicas);
  for (const char* flag :
       {"task", "subjects", "sessions", "runs", "datatype", "keep-bad-channels", "windows"}) {
    if (args.Has(flag)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " goes with --bids"));
    }
  }
  return PlanManifest(args, base, replicas != nullptr);
}

}  // namespace neurofeat::client
