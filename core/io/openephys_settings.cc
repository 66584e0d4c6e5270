#include "core/io/openephys_settings.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/neuropixels.h"
#include "core/io/xml_scan.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

constexpr int64_t kReadoutChannels = 384;

bool IsDescendant(const std::vector<XmlElement>& els, int64_t i, int64_t ancestor) {
  for (int64_t p = els[i].parent; p >= 0; p = els[p].parent) {
    if (p == ancestor) return true;
  }
  return false;
}

std::string Attr(const XmlElement& e, absl::string_view key) {
  const std::string* v = e.Find(key);
  return v != nullptr ? *v : std::string();
}

struct Probe {
  std::string name;
  std::string serial;
  std::string part_number;
};

}  // namespace

absl::StatusOr<OpenEphysShifts> NeuropixelsShiftsFromOpenEphysSettings(
    absl::string_view settings_text, const std::string& settings_path,
    const std::string& stream_name, int64_t channels, double sampling_rate_hz) {
  NF_ASSIGN_OR_RETURN(const std::vector<XmlElement> els, ScanXml(settings_text, settings_path));
  OpenEphysShifts out;
  const int64_t n = static_cast<int64_t>(els.size());
  int64_t processor = -1, record_node = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (els[i].name != "PROCESSOR") continue;
    const std::string name = Attr(els[i], "name");
    if (processor < 0 &&
        (absl::StrContains(name, "Neuropix-PXI") || absl::StrContains(name, "OneBox"))) {
      processor = i;
    }
    if (record_node < 0 && absl::StrContains(name, "Record Node")) record_node = i;
  }
  if (processor < 0) {
    out.note = absl::StrCat(settings_path, ": no Neuropix-PXI or OneBox processor");
    return out;
  }
  std::vector<std::string> used;  // probe names from the processor's STREAMs
  std::vector<int64_t> np_probes;
  for (int64_t i = processor + 1; i < n; ++i) {
    if (els[i].name == "STREAM" && els[i].parent == processor) {
      const std::string s = Attr(els[i], "name");
      if (!absl::StrContains(s, "ADC")) used.push_back(s.substr(0, s.find('-')));
    } else if (els[i].name == "NP_PROBE" && IsDescendant(els, i, processor)) {
      const std::string* enabled = els[i].Find("isEnabled");
      if (enabled == nullptr || *enabled == "1") np_probes.push_back(i);
    }
  }
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  if (np_probes.empty()) {
    out.note = absl::StrCat(settings_path, ": no enabled NP_PROBE");
    return out;
  }
  std::string node_id = Attr(els[processor], "NodeId");
  if (node_id.empty()) node_id = Attr(els[processor], "nodeId");
  std::vector<Probe> probes;
  for (size_t k = 0; k < np_probes.size(); ++k) {
    const XmlElement& e = els[np_probes[k]];
    Probe p{.serial = Attr(e, "probe_serial_number"), .part_number = Attr(e, "probe_part_number")};
    const std::string* custom = e.Find("custom_probe_name");
    if (custom != nullptr && *custom != p.serial) {
      p.name = *custom;
    } else if (!used.empty()) {
      p.name = k < used.size() ? used[k] : "";
    } else {
      p.name = absl::StrCat(node_id, ".", k);
    }
    probes.push_back(std::move(p));
  }
  const Probe* probe = nullptr;
  for (const Probe& p : probes) {
    if ((!p.name.empty() && absl::StrContains(stream_name, p.name)) ||
        (!p.serial.empty() && absl::StrContains(stream_name, p.serial))) {
      probe = &p;
      break;
    }
  }
  if (probe == nullptr) {
    std::vector<std::string> names;
    for (const Probe& p : probes) names.push_back(p.name);
    out.note = absl::StrCat(settings_path, ": no probe (", absl::StrJoin(names, ", "),
                            ") matches the stream \"", stream_name, "\"");
    return out;
  }
  if (!IsNeuropixels1PartNumber(probe->part_number)) {
    out.note = absl::StrCat(settings_path, ": probe ", probe->name, " (", probe->part_number,
                            ") is not a Neuropixels 1.0; its shifts are not known here");
    return out;
  }
  // The channels the Record Node saved of this stream, when a subset.
  std::vector<int64_t> readout;
  if (record_node >= 0) {
    for (int64_t i = record_node + 1; i < n; ++i) {
      if (els[i].name != "STREAM" || !IsDescendant(els, i, record_node) ||
          els[els[i].parent].name != "CUSTOM_PARAMETERS") {
        continue;
      }
      const std::string name = Attr(els[i], "name");
      const std::string state = Attr(els[i], "recording_state");
      if (name.empty() || !absl::StrContains(stream_name, name) || state.empty() ||
          state == "ALL" || state == "NONE") {
        continue;
      }
      for (size_t c = 0; c < state.size(); ++c) {
        if (state[c] == '1') {
          readout.push_back(static_cast<int64_t>(c));
        } else if (state[c] != '0') {
          out.note =
              absl::StrCat(settings_path, ": STREAM ", name, " recording_state is not '0'/'1'");
          return out;
        }
      }
      break;
    }
  }
  if (readout.empty()) {
    for (int64_t c = 0; c < std::min(channels, kReadoutChannels); ++c) readout.push_back(c);
  }
  if (static_cast<int64_t>(readout.size()) != channels ||
      std::any_of(readout.begin(), readout.end(),
                  [](int64_t c) { return c >= kReadoutChannels; })) {
    out.note =
        absl::StrCat(settings_path, ": probe ", probe->name, " saved ", readout.size(), " of its ",
                     kReadoutChannels, " readout channels but the stream has ", channels);
    return out;
  }
  const bool ap = sampling_rate_hz > 10000;
  for (int64_t c : readout) out.shifts.push_back(Neuropixels1Shift(c, ap));
  out.note = absl::StrCat(settings_path, ": probe ", probe->name, " (", probe->part_number, ", ",
                          ap ? "AP" : "LF", ")");
  return out;
}

}  // namespace neurofeat
