#include "core/dataset/bids_dataset.h"

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::neurofeat::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Pair;

// A BIDS tree under a temporary folder. Recording files are placeholders:
// the scan reads only names and sidecars.
class Dataset {
 public:
  const std::string& root() const { return root_; }
  // Put() writes `content` at `relative` (folders made as needed).
  void Put(const std::string& relative, const std::string& content = "") const {
    const std::filesystem::path p = std::filesystem::path(root_) / relative;
    std::filesystem::create_directories(p.parent_path());
    testing::WriteFile(p.string(), content);
  }

 private:
  TempDir dir_;
  std::string root_ = dir_.File("ds");
};

std::vector<std::string> Paths(const std::vector<BidsRecording>& recs) {
  std::vector<std::string> out;
  for (const BidsRecording& r : recs) out.push_back(r.path);
  return out;
}

absl::StatusOr<std::vector<BidsRecording>> Scan(const Dataset& ds, const BidsQuery& q = {}) {
  return ScanBidsDataset(ds.root(), q, {});
}

// The recording at `path` (the test fails when there is none).
const BidsRecording& At(const std::vector<BidsRecording>& recs, const std::string& path) {
  for (const BidsRecording& r : recs) {
    if (r.path == path) return r;
  }
  ADD_FAILURE() << "no recording " << path;
  static const BidsRecording kNone;
  return kNone;
}

TEST(BidsDatasetTest, FindsRecordingsInSubjectAndSessionFolders) {
  Dataset ds;
  ds.Put("dataset_description.json", "{}");
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.edf");
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.json", "{}");
  ds.Put("sub-01/eeg/sub-01_task-rest_channels.tsv", "name\ttype\n");
  ds.Put("sub-01/eeg/sub-01_task-rest_ieeg.edf");  // not an eeg suffix
  ds.Put("sub-01/eeg/notes.edf");                  // not a BIDS name
  ds.Put("sub-01/anat/sub-01_T1w.nii");
  ds.Put("sub-01/ieeg/sub-01_task-rest_ieeg.edf");  // datatype not asked for
  ds.Put("sub-02/ses-a/eeg/sub-02_ses-a_task-rest_eeg.vhdr");
  ds.Put("sub-02/ses-a/eeg/sub-02_ses-a_task-rest_eeg.eeg");
  ds.Put("sub-02/ses-a/eeg/sub-02_ses-a_task-rest_eeg.vmrk");
  ds.Put("derivatives/sub-01/eeg/sub-01_task-rest_eeg.edf");  // not a subject folder
  ds.Put("sourcedata/sub-03_task-rest_eeg.edf");
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds);
  ASSERT_THAT(recs, IsOk());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_THAT(Paths(*recs), ElementsAre("sub-01/eeg/sub-01_task-rest_eeg.edf",
                                        "sub-02/ses-a/eeg/sub-02_ses-a_task-rest_eeg.vhdr"));
  const BidsRecording& a = (*recs)[0];
  EXPECT_EQ(a.datatype, "eeg");
  EXPECT_EQ(a.subject, "01");
  EXPECT_EQ(a.session, "");
  EXPECT_EQ(a.task, "rest");
  EXPECT_EQ(a.run, "");
  EXPECT_THAT(a.problem, IsOk());
  const BidsRecording& b = (*recs)[1];
  EXPECT_EQ(b.subject, "02");
  EXPECT_EQ(b.session, "a");
  EXPECT_EQ(b.task, "rest");
}

TEST(BidsDatasetTest, EveryRecordingExtension) {
  for (const char* ext : {".set", ".vhdr", ".edf", ".bdf", ".fif", ".nwb"}) {
    SCOPED_TRACE(ext);
    Dataset ds;
    ds.Put(std::string("sub-01/eeg/sub-01_task-rest_eeg") + ext);
    absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds);
    ASSERT_THAT(recs, IsOk());
    EXPECT_THAT(Paths(*recs), ElementsAre(std::string("sub-01/eeg/sub-01_task-rest_eeg") + ext));
  }
  // Companion and sidecar files are not recordings.
  Dataset ds;
  for (const char* ext : {".eeg", ".vmrk", ".fdt", ".json", ".tsv", ".txt"}) {
    ds.Put(std::string("sub-01/eeg/sub-01_task-rest_eeg") + ext, "{}");
  }
  EXPECT_THAT(Scan(ds), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no recording")));
}

TEST(BidsDatasetTest, LaterPartsOfASplitFifAreNotRecordings) {
  Dataset ds;
  ds.Put("sub-01/meg/sub-01_task-rest_split-01_meg.fif");
  ds.Put("sub-01/meg/sub-01_task-rest_split-02_meg.fif");
  ds.Put("sub-01/meg/sub-01_task-rest_split-03_meg.fif");
  ds.Put("sub-01/meg/sub-01_task-noise_meg.fif");
  BidsQuery q;
  q.datatypes = {"meg"};
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds, q);
  ASSERT_THAT(recs, IsOk());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_THAT(Paths(*recs), ElementsAre("sub-01/meg/sub-01_task-noise_meg.fif",
                                        "sub-01/meg/sub-01_task-rest_split-01_meg.fif"));
  EXPECT_EQ((*recs)[1].datatype, "meg");
}

TEST(BidsDatasetTest, RecordingsComeInBidsOrder) {
  Dataset ds;
  // Listed by name, these would come run-10 before run-2 and acq-hi
  // before any run.
  ds.Put("sub-02/eeg/sub-02_task-rest_eeg.edf");
  ds.Put("sub-01/ses-b/eeg/sub-01_ses-b_task-rest_eeg.edf");
  ds.Put("sub-01/ses-a/eeg/sub-01_ses-a_task-rest_run-10_eeg.edf");
  ds.Put("sub-01/ses-a/eeg/sub-01_ses-a_task-rest_run-2_eeg.edf");
  ds.Put("sub-01/ses-a/eeg/sub-01_ses-a_task-rest_acq-hi_run-1_eeg.edf");
  ds.Put("sub-01/ses-a/eeg/sub-01_ses-a_task-oddball_run-10_eeg.edf");
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds);
  ASSERT_THAT(recs, IsOk());
  EXPECT_THAT(Paths(*recs),
              ElementsAre("sub-01/ses-a/eeg/sub-01_ses-a_task-oddball_run-10_eeg.edf",
                          "sub-01/ses-a/eeg/sub-01_ses-a_task-rest_run-2_eeg.edf",
                          "sub-01/ses-a/eeg/sub-01_ses-a_task-rest_run-10_eeg.edf",
                          "sub-01/ses-a/eeg/sub-01_ses-a_task-rest_acq-hi_run-1_eeg.edf",
                          "sub-01/ses-b/eeg/sub-01_ses-b_task-rest_eeg.edf",
                          "sub-02/eeg/sub-02_task-rest_eeg.edf"));
  EXPECT_EQ((*recs)[3].acquisition, "hi");
  EXPECT_EQ((*recs)[3].run, "1");
  EXPECT_EQ((*recs)[2].run, "10");
}

TEST(BidsDatasetTest, QueryFilters) {
  Dataset ds;
  const std::string a2 = "sub-01/ses-a/eeg/sub-01_ses-a_task-rest_run-02_eeg.edf";
  const std::string a10 = "sub-01/ses-a/eeg/sub-01_ses-a_task-rest_run-10_eeg.edf";
  const std::string b2 = "sub-01/ses-b/eeg/sub-01_ses-b_task-oddball_run-02_eeg.edf";
  const std::string s2 = "sub-02/ses-a/eeg/sub-02_ses-a_task-rest_run-02_eeg.edf";
  const std::string ieeg = "sub-02/ieeg/sub-02_task-rest_ieeg.edf";
  for (const std::string& p : {a2, a10, b2, s2, ieeg}) ds.Put(p);
  struct Case {
    const char* what;
    BidsQuery query;
    std::vector<std::string> want;
  };
  auto query = [](std::vector<std::string> subjects, std::vector<std::string> sessions,
                  std::vector<std::string> tasks, std::vector<std::string> runs,
                  std::vector<std::string> datatypes = {"eeg"}) {
    BidsQuery q;
    q.subjects = std::move(subjects);
    q.sessions = std::move(sessions);
    q.tasks = std::move(tasks);
    q.runs = std::move(runs);
    q.datatypes = std::move(datatypes);
    return q;
  };
  const std::vector<Case> kCases = {
      {"everything", {}, {a2, a10, b2, s2}},
      {"subject", query({"01"}, {}, {}, {}), {a2, a10, b2}},
      {"subject with prefix", query({"sub-02"}, {}, {}, {}), {s2}},
      {"two subjects", query({"02", "sub-01"}, {}, {}, {}), {a2, a10, b2, s2}},
      {"session", query({}, {"b"}, {}, {}), {b2}},
      {"session with prefix", query({}, {"ses-a"}, {}, {}), {a2, a10, s2}},
      {"task", query({}, {}, {"oddball"}, {}), {b2}},
      {"task with prefix", query({}, {}, {"task-rest"}, {}), {a2, a10, s2}},
      {"run as a number", query({}, {}, {}, {"2"}), {a2, b2, s2}},
      {"run with prefix", query({}, {}, {}, {"run-2"}), {a2, b2, s2}},
      {"run zero-padded", query({}, {}, {}, {"010"}), {a10}},
      {"run with prefix, zero-padded", query({}, {}, {}, {"run-02"}), {a2, b2, s2}},
      {"all together", query({"01"}, {"a"}, {"rest"}, {"2", "10"}), {a2, a10}},
      {"ieeg", query({}, {}, {}, {}, {"ieeg"}), {ieeg}},
      // Session-less sorts before ses-a within sub-02.
      {"eeg and ieeg", query({}, {}, {}, {}, {"eeg", "ieeg"}), {a2, a10, b2, ieeg, s2}},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds, c.query);
    ASSERT_THAT(recs, IsOk());
    EXPECT_THAT(Paths(*recs), ElementsAreArray(c.want));
  }
  BidsQuery q;
  q.datatypes = {"eeg", "ieeg"};
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds, q);
  ASSERT_THAT(recs, IsOk());
  EXPECT_EQ(At(*recs, ieeg).datatype, "ieeg");
  EXPECT_EQ(At(*recs, s2).datatype, "eeg");
}

TEST(BidsDatasetTest, ParticipantsColumnsJoinTheDescription) {
  Dataset ds;
  // participant_id need not come first; the other columns keep their order.
  ds.Put("participants.tsv",
         "age\tparticipant_id\tsex\thand\n"
         "34\tsub-01\tF\tn/a\n"
         "n/a\tsub-02\tM\tR\n");
  ds.Put("sub-01/ses-a/eeg/sub-01_ses-a_task-rest_run-1_eeg.edf");
  ds.Put("sub-02/eeg/sub-02_task-rest_eeg.edf");
  ds.Put("sub-03/eeg/sub-03_task-rest_eeg.edf");  // not in participants.tsv
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds);
  ASSERT_THAT(recs, IsOk());
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_THAT((*recs)[0].description,
              ElementsAre(Pair("subject", "01"), Pair("session", "a"), Pair("task", "rest"),
                          Pair("run", "1"), Pair("age", "34"), Pair("sex", "F"), Pair("hand", "")));
  EXPECT_THAT((*recs)[1].description,
              ElementsAre(Pair("subject", "02"), Pair("session", ""), Pair("task", "rest"),
                          Pair("run", ""), Pair("age", ""), Pair("sex", "M"), Pair("hand", "R")));
  EXPECT_THAT((*recs)[2].description, ElementsAre(Pair("subject", "03"), Pair("session", ""),
                                                  Pair("task", "rest"), Pair("run", "")));
  EXPECT_THAT((*recs)[2].problem, IsOk());
}

TEST(BidsDatasetTest, ChannelsMarkedBad) {
  Dataset ds;
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.edf");
  ds.Put("sub-01/eeg/sub-01_task-rest_channels.tsv",
         "name\ttype\tunits\tstatus\n"
         "Fp1\tEEG\tuV\tgood\n"
         "Fp2\tEEG\tuV\tbad\n"
         "Cz\tEEG\tuV\tn/a\n"
         "T7\tEEG\tuV\tbad\n");
  ds.Put("sub-02/eeg/sub-02_task-rest_eeg.edf");
  ds.Put("sub-02/eeg/sub-02_task-rest_channels.tsv", "name\ttype\nFp1\tEEG\n");  // no status
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds);
  ASSERT_THAT(recs, IsOk());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_THAT((*recs)[0].bad_channels, ElementsAre("Fp2", "T7"));
  EXPECT_THAT((*recs)[0].problem, IsOk());
  EXPECT_TRUE((*recs)[1].bad_channels.empty());
  EXPECT_THAT((*recs)[1].problem, IsOk());
}

TEST(BidsDatasetTest, EventsRows) {
  Dataset ds;
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.edf");
  ds.Put("sub-01/eeg/sub-01_task-rest_events.tsv",
         "onset\tduration\ttrial_type\tvalue\n"
         "1.5\t0.5\tleft\t1\n"
         "3.25\tn/a\tright\t2\n"
         "\n"
         "10\t0\tn/a\t3\n");
  ds.Put("sub-02/eeg/sub-02_task-rest_eeg.edf");
  ds.Put("sub-02/eeg/sub-02_task-rest_events.tsv", "onset\tduration\n2\t1\n");  // no trial_type
  ds.Put("sub-03/eeg/sub-03_task-rest_eeg.edf");                                // no events file
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds);
  ASSERT_THAT(recs, IsOk());
  ASSERT_EQ(recs->size(), 3u);
  const BidsRecording& a = (*recs)[0];
  EXPECT_EQ(a.events_source, "sub-01/eeg/sub-01_task-rest_events.tsv");
  ASSERT_TRUE(a.events.has_value());
  ASSERT_EQ(a.events->size(), 3u);
  const std::vector<BidsEvent>& e = *a.events;
  EXPECT_EQ(e[0].onset_s, 1.5);
  EXPECT_EQ(e[0].duration_s, 0.5);
  EXPECT_EQ(e[0].trial_type, "left");
  EXPECT_EQ(e[0].line, 2);
  EXPECT_EQ(e[1].onset_s, 3.25);
  EXPECT_EQ(e[1].duration_s, 0);  // n/a
  EXPECT_EQ(e[1].trial_type, "right");
  EXPECT_EQ(e[1].line, 3);
  EXPECT_EQ(e[2].onset_s, 10);
  EXPECT_EQ(e[2].trial_type, "");  // n/a
  EXPECT_EQ(e[2].line, 5);
  const BidsRecording& b = (*recs)[1];
  ASSERT_TRUE(b.events.has_value());
  ASSERT_EQ(b.events->size(), 1u);
  EXPECT_EQ((*b.events)[0].trial_type, "");
  EXPECT_EQ((*b.events)[0].duration_s, 1);
  const BidsRecording& c = (*recs)[2];
  EXPECT_FALSE(c.events.has_value());
  EXPECT_EQ(c.events_source, "");
}

TEST(BidsDatasetTest, SamplingFrequencyOfTheJsonSidecar) {
  Dataset ds;
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.edf");
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.json",
         R"({"TaskName": "rest", "SamplingFrequency": 250.5, "PowerLineFrequency": 50})");
  ds.Put("sub-02/eeg/sub-02_task-rest_eeg.edf");
  ds.Put("sub-02/eeg/sub-02_task-rest_eeg.json", R"({"TaskName": "rest"})");
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds);
  ASSERT_THAT(recs, IsOk());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].sampling_frequency, 250.5);
  EXPECT_EQ((*recs)[0].sampling_frequency_source, "sub-01/eeg/sub-01_task-rest_eeg.json");
  EXPECT_EQ((*recs)[1].sampling_frequency, std::nullopt);
  EXPECT_THAT((*recs)[1].problem, IsOk());
}

// BIDS's inheritance principle: a sidecar may sit at the root or the
// subject level and apply to every recording whose entities it names; the
// nearest folder wins, and in a folder the most specific name.
TEST(BidsDatasetTest, SidecarsAreInherited) {
  Dataset ds;
  const std::string s1r1 = "sub-01/eeg/sub-01_task-rest_run-1_eeg.edf";
  const std::string s1r2 = "sub-01/eeg/sub-01_task-rest_run-2_eeg.edf";
  const std::string s2r1 = "sub-02/eeg/sub-02_task-rest_run-1_eeg.edf";
  const std::string s2odd = "sub-02/eeg/sub-02_task-oddball_eeg.edf";
  for (const std::string& p : {s1r1, s1r2, s2r1, s2odd}) ds.Put(p);
  ds.Put("task-rest_eeg.json", R"({"SamplingFrequency": 100})");
  ds.Put("sub-01/sub-01_task-rest_eeg.json", R"({"SamplingFrequency": 200})");
  ds.Put("task-rest_events.tsv", "onset\tduration\ttrial_type\n1\t1\troot\n");
  // Run numbers compare as numbers here too: run-01 is run 1.
  ds.Put("task-rest_run-01_events.tsv", "onset\tduration\ttrial_type\n1\t1\troot-run1\n");
  ds.Put("sub-01/eeg/sub-01_task-rest_run-2_events.tsv",
         "onset\tduration\ttrial_type\n1\t1\trecording-run2\n");
  ds.Put("task-oddball_channels.tsv", "name\tstatus\nX\tbad\n");
  // Nearest folder first: sub-01's own channels file beats a more specific
  // one at the root.
  ds.Put("sub-01/eeg/sub-01_channels.tsv", "name\tstatus\nA\tbad\n");
  ds.Put("sub-01_task-rest_run-1_channels.tsv", "name\tstatus\nB\tbad\n");
  // A sidecar naming another subject does not apply.
  ds.Put("sub-03_task-rest_eeg.json", R"({"SamplingFrequency": 300})");
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds);
  ASSERT_THAT(recs, IsOk());
  ASSERT_EQ(recs->size(), 4u);
  auto trial_type = [](const BidsRecording& r) -> std::string {
    if (!r.events.has_value() || r.events->size() != 1) return "?";
    return (*r.events)[0].trial_type;
  };

  const BidsRecording& a = At(*recs, s1r1);
  EXPECT_THAT(a.problem, IsOk());
  EXPECT_EQ(a.sampling_frequency, 200);
  EXPECT_EQ(a.sampling_frequency_source, "sub-01/sub-01_task-rest_eeg.json");
  EXPECT_EQ(trial_type(a), "root-run1");
  EXPECT_EQ(a.events_source, "task-rest_run-01_events.tsv");
  EXPECT_THAT(a.bad_channels, ElementsAre("A"));

  const BidsRecording& b = At(*recs, s1r2);
  EXPECT_EQ(b.sampling_frequency, 200);
  EXPECT_EQ(trial_type(b), "recording-run2");
  EXPECT_EQ(b.events_source, "sub-01/eeg/sub-01_task-rest_run-2_events.tsv");
  EXPECT_THAT(b.bad_channels, ElementsAre("A"));

  const BidsRecording& c = At(*recs, s2r1);
  EXPECT_EQ(c.sampling_frequency, 100);
  EXPECT_EQ(c.sampling_frequency_source, "task-rest_eeg.json");
  EXPECT_EQ(trial_type(c), "root-run1");
  EXPECT_TRUE(c.bad_channels.empty());

  const BidsRecording& d = At(*recs, s2odd);
  EXPECT_EQ(d.sampling_frequency, std::nullopt);
  EXPECT_FALSE(d.events.has_value());
  EXPECT_THAT(d.bad_channels, ElementsAre("X"));
}

TEST(BidsDatasetTest, AMalformedSidecarIsTheRecordingsProblem) {
  struct Case {
    const char* sidecar;  // in sub-XX/eeg/, after "sub-XX_task-rest_"
    const char* content;
    const char* message;  // after the sidecar's path
  };
  const Case kCases[] = {
      {"channels.tsv", "name\tstatus\nFp1\tgood\nFp2\n", ":3: 1 fields, the header has 2"},
      {"channels.tsv", "name\tstatus\nFp1\tmaybe\n",
       ":2: status \"maybe\" is not good, bad or n/a"},
      {"channels.tsv", "label\tstatus\nFp1\tbad\n", ": no \"name\" column"},
      {"events.tsv", "onset\tduration\n1\t1\nsoon\t1\n", ":3: onset \"soon\" is not a number"},
      {"events.tsv", "onset\tduration\n1\t-1\n", ":2: duration \"-1\" is not a non-negative"},
      {"events.tsv", "onset\ttrial_type\n1\tleft\n",
       ": BIDS events need \"onset\" and \"duration\""},
      {"eeg.json", "{\"SamplingFrequency\": ", ""},
      {"eeg.json", "{\"SamplingFrequency\": -250}", ": SamplingFrequency is not a positive number"},
      {"eeg.json", "{\"SamplingFrequency\": \"250\"}",
       ": SamplingFrequency is not a positive number"},
  };
  Dataset ds;
  int n = 0;
  std::vector<std::pair<std::string, std::string>> want;  // recording, message
  for (const Case& c : kCases) {
    ++n;
    const std::string sub = (n < 10 ? "sub-0" : "sub-") + std::to_string(n);
    const std::string dir = sub + "/eeg/";
    ds.Put(dir + sub + "_task-rest_eeg.edf");
    const std::string sidecar = dir + sub + "_task-rest_" + c.sidecar;
    ds.Put(sidecar, c.content);
    want.push_back({dir + sub + "_task-rest_eeg.edf", sidecar + c.message});
  }
  ds.Put("sub-99/eeg/sub-99_task-rest_eeg.edf");
  ds.Put("sub-99/eeg/sub-99_task-rest_channels.tsv", "name\tstatus\nFp1\tbad\n");
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds);
  ASSERT_THAT(recs, IsOk());  // the scan itself goes on
  ASSERT_EQ(recs->size(), want.size() + 1);
  for (const auto& [path, message] : want) {
    SCOPED_TRACE(path);
    EXPECT_THAT(At(*recs, path).problem,
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
  }
  const BidsRecording& good = At(*recs, "sub-99/eeg/sub-99_task-rest_eeg.edf");
  EXPECT_THAT(good.problem, IsOk());
  EXPECT_THAT(good.bad_channels, ElementsAre("Fp1"));
}

TEST(BidsDatasetTest, AMalformedParticipantsTsvFailsTheScan) {
  struct Case {
    const char* content;
    const char* message;
  };
  const Case kCases[] = {
      {"participant_id\tage\nsub-01\t30\nsub-02\n",
       "participants.tsv:3: 1 fields, the header has 2"},
      {"subject\tage\nsub-01\t30\n", "participants.tsv: no \"participant_id\" column"},
      {"participant_id\tage\tage\n", "participants.tsv:1: column \"age\" appears twice"},
      {"", "participants.tsv: no header row"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.message);
    Dataset ds;
    ds.Put("sub-01/eeg/sub-01_task-rest_eeg.edf");
    ds.Put("participants.tsv", c.content);
    EXPECT_THAT(Scan(ds), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(BidsDatasetTest, NothingMatchingIsAnErrorSayingWhatWasAsked) {
  Dataset ds;
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.edf");
  ds.Put("sub-02/eeg/sub-02_task-rest_eeg.edf");
  BidsQuery q;
  q.tasks = {"sleep"};
  q.runs = {"3"};
  absl::StatusOr<std::vector<BidsRecording>> recs = Scan(ds, q);
  EXPECT_THAT(recs, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tasks sleep")));
  EXPECT_THAT(recs, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("runs 3")));
  EXPECT_THAT(recs, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("the dataset has 2 subject folders")));
  EXPECT_THAT(recs, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(ds.root())));

  Dataset empty;
  empty.Put("README", "nothing here");
  EXPECT_THAT(Scan(empty), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("the dataset has 0 subject folders")));
}

TEST(BidsDatasetTest, ARootThatIsNotAFolderIsNotFound) {
  TempDir dir;
  EXPECT_THAT(ScanBidsDataset(dir.File("missing"), {}, {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir.File("missing"))));
  testing::WriteFile(dir.File("file"), "x");
  EXPECT_THAT(ScanBidsDataset(dir.File("file"), {}, {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("is not a folder")));
}

TEST(BidsDatasetTest, EverythingIsReadThroughTheResolver) {
  Dataset ds;
  ds.Put("participants.tsv", "participant_id\tage\nsub-01\t30\n");
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.edf");
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.json", R"({"SamplingFrequency": 128})");
  // The caller names the dataset by a path the resolver maps.
  std::vector<std::string> asked;
  BidsAccess access;
  access.resolve = [&](const std::string& p) -> absl::StatusOr<std::string> {
    asked.push_back(p);
    if (!absl::StartsWith(p, "data:/ds")) return absl::PermissionDeniedError(p);
    return ds.root() + p.substr(8);
  };
  absl::StatusOr<std::vector<BidsRecording>> recs = ScanBidsDataset("data:/ds", {}, access);
  ASSERT_THAT(recs, IsOk());
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].path, "sub-01/eeg/sub-01_task-rest_eeg.edf");
  EXPECT_EQ((*recs)[0].sampling_frequency, 128);
  EXPECT_THAT((*recs)[0].description, ::testing::Contains(Pair("age", "30")));
  EXPECT_THAT(asked, ::testing::Contains("data:/ds"));
  EXPECT_THAT(asked, ::testing::Contains("data:/ds/participants.tsv"));
  EXPECT_THAT(asked, ::testing::Contains("data:/ds/sub-01/eeg/sub-01_task-rest_eeg.json"));
}

TEST(BidsDatasetTest, AResolverThatRefusesIsPropagated) {
  Dataset ds;
  ds.Put("participants.tsv", "participant_id\tage\nsub-01\t30\n");
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.edf");
  ds.Put("sub-01/eeg/sub-01_task-rest_eeg.json", R"({"SamplingFrequency": 128})");
  auto refusing = [](std::string refused) {
    BidsAccess access;
    access.resolve = [refused](const std::string& p) -> absl::StatusOr<std::string> {
      if (absl::EndsWith(p, refused)) {
        return absl::PermissionDeniedError("outside the data roots: " + p);
      }
      return p;
    };
    return access;
  };
  // The root itself.
  EXPECT_THAT(ScanBidsDataset(ds.root(), {}, refusing("/ds")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("outside the data roots")));
  // participants.tsv: the scan fails.
  EXPECT_THAT(ScanBidsDataset(ds.root(), {}, refusing("participants.tsv")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("participants.tsv")));
  // One recording's sidecar: that recording's problem.
  absl::StatusOr<std::vector<BidsRecording>> recs =
      ScanBidsDataset(ds.root(), {}, refusing("_eeg.json"));
  ASSERT_THAT(recs, IsOk());
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_THAT((*recs)[0].problem, StatusIs(absl::StatusCode::kPermissionDenied,
                                           HasSubstr("sub-01/eeg/sub-01_task-rest_eeg.json")));
}

}  // namespace
}  // namespace neurofeat
