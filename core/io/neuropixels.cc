#include "core/io/neuropixels.h"

#include "absl/strings/match.h"

namespace neurofeat {

bool IsNeuropixels1PartNumber(absl::string_view pn) {
  return pn == "PRB_1_4_0480_1" || pn == "PRB_1_4_0480_1_C" || pn == "PRB_1_2_0480_2" ||
         pn == "NP1000" || pn == "NP1001" ||
         (absl::StartsWith(pn, "NP101") && pn.size() == 6 && pn[5] >= '0' && pn[5] <= '6');
}

double Neuropixels1Shift(int64_t readout, bool ap) {
  return static_cast<double>((readout / 2) % 12) / (ap ? 13.0 : 12.0);
}

}  // namespace neurofeat
