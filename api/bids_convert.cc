#include "api/bids_convert.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace neurofeat::api {
namespace {

absl::Status CheckSeconds(double v, const char* field, bool positive) {
  if (!std::isfinite(v) || (positive && !(v > 0))) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", v, positive ? " is not a positive number of seconds" : " is not finite"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BidsPlanOptions> ToBidsPlanOptions(const v1::PlanBidsRequest& r) {
  if (r.root().empty()) return absl::InvalidArgumentError("root: empty");
  BidsPlanOptions o;
  o.query.subjects.assign(r.subjects().begin(), r.subjects().end());
  o.query.sessions.assign(r.sessions().begin(), r.sessions().end());
  o.query.tasks.assign(r.tasks().begin(), r.tasks().end());
  o.query.runs.assign(r.runs().begin(), r.runs().end());
  if (r.datatypes_size() > 0) o.query.datatypes.assign(r.datatypes().begin(), r.datatypes().end());
  for (const std::string& d : o.query.datatypes) {
    if (d != "eeg" && d != "ieeg" && d != "meg") {
      return absl::InvalidArgumentError(
          absl::StrCat("datatypes: \"", d, "\" is not eeg, ieeg or meg"));
    }
  }
  o.keep_bad_channels = r.keep_bad_channels();
  o.windows =
      r.event_windows() ? BidsPlanOptions::Windows::kEvents : BidsPlanOptions::Windows::kFixed;
  if (r.has_window_duration_s()) {
    NF_RETURN_IF_ERROR(CheckSeconds(r.window_duration_s(), "window_duration_s", true));
    o.window_duration_s = r.window_duration_s();
  }
  if (r.has_window_stride_s()) {
    NF_RETURN_IF_ERROR(CheckSeconds(r.window_stride_s(), "window_stride_s", true));
    o.window_stride_s = r.window_stride_s();
  }
  NF_RETURN_IF_ERROR(CheckSeconds(r.trial_start_offset_s(), "trial_start_offset_s", false));
  NF_RETURN_IF_ERROR(CheckSeconds(r.trial_stop_offset_s(), "trial_stop_offset_s", false));
  o.trial_start_offset_s = r.trial_start_offset_s();
  o.trial_stop_offset_s = r.trial_stop_offset_s();
  o.drop_last = r.drop_last();
  if (r.pipeline_window_frames() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("pipeline_window_frames: must be >= 0, got ", r.pipeline_window_frames()));
  }
  o.pipeline_window_frames = r.pipeline_window_frames();
  return o;
}

v1::PlanBidsRequest ToPlanBidsRequest(const std::string& root, const BidsPlanOptions& o) {
  v1::PlanBidsRequest r;
  r.set_root(root);
  for (const std::string& s : o.query.subjects) r.add_subjects(s);
  for (const std::string& s : o.query.sessions) r.add_sessions(s);
  for (const std::string& s : o.query.tasks) r.add_tasks(s);
  for (const std::string& s : o.query.runs) r.add_runs(s);
  for (const std::string& s : o.query.datatypes) r.add_datatypes(s);
  r.set_keep_bad_channels(o.keep_bad_channels);
  r.set_event_windows(o.windows == BidsPlanOptions::Windows::kEvents);
  if (o.window_duration_s.has_value()) r.set_window_duration_s(*o.window_duration_s);
  if (o.window_stride_s.has_value()) r.set_window_stride_s(*o.window_stride_s);
  r.set_trial_start_offset_s(o.trial_start_offset_s);
  r.set_trial_stop_offset_s(o.trial_stop_offset_s);
  r.set_drop_last(o.drop_last);
  r.set_pipeline_window_frames(o.pipeline_window_frames);
  return r;
}

v1::PlanBidsResponse ToPlanBidsResponse(const std::vector<PlannedRecording>& plan) {
  v1::PlanBidsResponse out;
  for (const PlannedRecording& p : plan) {
    v1::PlannedRecording* r = out.add_recordings();
    r->set_path(p.request.file.has_value() ? p.request.file->path : "");
    r->set_bids_path(p.bids.path);
    for (const auto& [k, v] : p.bids.description) {
      v1::DescriptionEntry* e = r->add_description();
      e->set_key(k);
      e->set_value(v);
    }
    r->set_sampling_rate_hz(p.request.sampling_rate_hz);
    for (const std::string& c : p.request.exclude_channels) r->add_exclude_channels(c);
    for (int64_t s : p.window_starts) r->add_window_starts(s);
    r->set_window_frames(p.window_frames);
    for (const std::string& t : p.targets) r->add_targets(t);
    r->set_error_code(static_cast<int>(p.status.code()));
    r->set_error_message(std::string(p.status.message()));
  }
  return out;
}

std::vector<PlannedRecording> FromPlanBidsResponse(const v1::PlanBidsResponse& response) {
  std::vector<PlannedRecording> plan;
  for (const v1::PlannedRecording& r : response.recordings()) {
    PlannedRecording p;
    p.bids.path = r.bids_path();
    for (const v1::DescriptionEntry& e : r.description()) {
      p.bids.description.push_back({e.key(), e.value()});
    }
    p.request.file = RecordingRequest::File{};
    p.request.file->path = r.path();
    p.request.sampling_rate_hz = r.sampling_rate_hz();
    p.request.exclude_channels.assign(r.exclude_channels().begin(), r.exclude_channels().end());
    p.window_starts.assign(r.window_starts().begin(), r.window_starts().end());
    p.window_frames = r.window_frames();
    p.targets.assign(r.targets().begin(), r.targets().end());
    p.status = absl::Status(static_cast<absl::StatusCode>(r.error_code()), r.error_message());
    plan.push_back(std::move(p));
  }
  return plan;
}

}  // namespace neurofeat::api
