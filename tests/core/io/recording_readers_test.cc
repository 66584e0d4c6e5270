#include "core/io/recording_readers.h"

#include <edflib.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;
using ::testing::HasSubstr;

std::string Int16Bytes(const std::vector<int16_t>& v) {
  std::string s(v.size() * 2, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

// frames x channels, sample (f, c) = 10 * f + c.
std::vector<int16_t> Ramp(int frames, int channels) {
  std::vector<int16_t> v;
  for (int f = 0; f < frames; ++f) {
    for (int c = 0; c < channels; ++c) v.push_back(static_cast<int16_t>(10 * f + c));
  }
  return v;
}

// The real PhysioNet EDF+ (first two records): values equal MNE's, in
// volts, and random access returns the same samples.
TEST(RecordingReadersTest, EdfMatchesMneDecoding) {
  auto rec = OpenRecordingFile(testing::TestDataPath("realdata/edf_2records.edf"),
                               RecordingFormat::kAuto, {});
  ASSERT_TRUE(rec.ok()) << rec.status();
  const TraceSource& s = *rec->source;
  EXPECT_EQ(rec->format, RecordingFormat::kEdf);
  EXPECT_EQ(s.num_channels(), 64);  // the annotation signal is not a channel
  EXPECT_EQ(s.num_frames(), 256);
  EXPECT_DOUBLE_EQ(s.info().sampling_rate_hz, 128.0);
  EXPECT_EQ(s.info().unit, "V");
  EXPECT_EQ(s.info().gain_to_uv[0], 1e6);
  EXPECT_TRUE(s.info().channel_ids_from_file);
  EXPECT_EQ(s.info().channel_types[0], "eeg");
  NpyArray volts = testing::LoadNpy("realdata/edf_physical_V_2records.npy");  // (64, 256)
  auto t = s.GetTraces(0, 256);
  ASSERT_TRUE(t.ok()) << t.status();
  for (int c = 0; c < 64; ++c) {
    for (int f = 0; f < 256; ++f) {
      const double want = volts.as<double>()[c * 256 + f];
      ASSERT_NEAR(t->row<double>(f)[c], want, 1e-15 * std::max(1e-4, std::fabs(want)))
          << c << " " << f;
    }
  }
  auto part = s.GetTraces(100, 130);
  ASSERT_TRUE(part.ok());
  for (int f = 0; f < 30; ++f) EXPECT_EQ(part->row<double>(f)[7], t->row<double>(100 + f)[7]);
  EXPECT_THAT(s.GetTraces(200, 300).status(), StatusIs(absl::StatusCode::kOutOfRange));
}

// A BDF+ file written by EDFlib (24-bit samples, mV) reads back in volts.
TEST(RecordingReadersTest, BdfPlusWrittenByEdflib) {
  TempDir dir;
  const std::string path = dir.File("x.bdf");
  const int h = edfopen_file_writeonly_with_params(path.c_str(), EDFLIB_FILETYPE_BDFPLUS, 2, 256,
                                                   100.0, "mV");
  ASSERT_GE(h, 0);
  std::vector<double> samples(256);
  for (int record = 0; record < 3; ++record) {
    for (int s = 0; s < 2; ++s) {
      for (int i = 0; i < 256; ++i) samples[i] = (s == 0 ? 1.0 : -1.0) * (record * 256 + i) / 10.0;
      ASSERT_EQ(edfwrite_physical_samples(h, samples.data()), 0);
    }
  }
  ASSERT_EQ(edfclose_file(h), 0);
  auto rec = OpenRecordingFile(path, RecordingFormat::kAuto, {});
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->source->num_frames(), 768);
  EXPECT_EQ(rec->source->num_channels(), 2);
  EXPECT_DOUBLE_EQ(rec->source->info().sampling_rate_hz, 256.0);
  EXPECT_DOUBLE_EQ(rec->source->info().gain_to_uv[0], 1e6);
  auto t = rec->source->GetTraces(500, 510);
  ASSERT_TRUE(t.ok()) << t.status();
  // 24-bit over +-100 mV: a step of 200 / (2^24 - 1) mV.
  EXPECT_NEAR(t->row<double>(3)[0], 50.3e-3, 2e-8);
  EXPECT_NEAR(t->row<double>(3)[1], -50.3e-3, 2e-8);
}

TEST(RecordingReadersTest, RawBinaryWithHeader) {
  TempDir dir;
  WriteFile(dir.File("x.dat"), std::string(16, 'h') + Int16Bytes(Ramp(50, 3)));
  ReaderOptions o;
  o.raw_type = SampleType::kInt16;
  o.raw_channels = 3;
  o.raw_sampling_rate_hz = 1000;
  o.raw_header_bytes = 16;
  auto rec = OpenRecordingFile(dir.File("x.dat"), RecordingFormat::kRaw, o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->source->num_frames(), 50);
  auto t = rec->source->GetTraces(20, 22);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->row<int16_t>(1)[2], 212);
  o.raw_channels = 7;  // 300 bytes are not whole frames of 7 x 2 bytes
  EXPECT_THAT(
      OpenRecordingFile(dir.File("x.dat"), RecordingFormat::kRaw, o).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a whole number of frames of 7")));
  o.raw_type.reset();
  EXPECT_THAT(OpenRecordingFile(dir.File("x.dat"), RecordingFormat::kRaw, o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs dtype")));
}

TEST(RecordingReadersTest, SpikeGlxImecGainsFromTheImroTable) {
  TempDir dir;
  WriteFile(dir.File("run_g0_t0.imec0.ap.bin"), Int16Bytes(Ramp(100, 5)));
  WriteFile(dir.File("run_g0_t0.imec0.ap.meta"),
            "imSampRate=30000\nnSavedChans=5\nsnsApLfSy=4,0,1\nimAiRangeMax=0.6\nimMaxInt=512\n"
            "fileSizeBytes=1000\n~imroTbl=(0,4)(0 0 0 500 250 1)(1 0 0 500 250 1)"
            "(2 0 0 250 250 1)(3 0 0 500 250 1)\n");
  auto rec = OpenRecordingFile(dir.File("run_g0_t0.imec0.ap.bin"), RecordingFormat::kAuto, {});
  ASSERT_TRUE(rec.ok()) << rec.status();
  const RecordingInfo& info = rec->source->info();
  EXPECT_EQ(rec->format, RecordingFormat::kSpikeGlx);
  EXPECT_DOUBLE_EQ(info.sampling_rate_hz, 30000.0);
  EXPECT_THAT(info.channel_ids, ::testing::ElementsAre("AP0", "AP1", "AP2", "AP3", "SY0"));
  EXPECT_DOUBLE_EQ(info.gain_to_uv[0], 0.6 / 512 / 500 * 1e6);  // 2.34375 uV per bit
  EXPECT_DOUBLE_EQ(info.gain_to_uv[2], 0.6 / 512 / 250 * 1e6);
  EXPECT_DOUBLE_EQ(info.gain_to_uv[4], 1.0);
  EXPECT_EQ(rec->source->num_frames(), 100);
  auto t = rec->source->GetTraces(99, 100);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->row<int16_t>(0)[4], 994);
}

TEST(RecordingReadersTest, SpikeGlxNeuropixels1ShiftsAsSpikeInterfaceDerivesThem) {
  // The golden set's shifts: readout channels 0, 2, ..., 30 of an NP 1.0
  // probe (SpikeInterface a5f7dbb3 + probeinterface 70925085):
  // [0, 1, ..., 11, 0, 1, 2, 3] / 13.
  TempDir dir;
  WriteFile(dir.File("r.imec0.ap.bin"), Int16Bytes(Ramp(10, 17)));
  std::string imro = "(0,384)";
  for (int c = 0; c < 384; ++c) absl::StrAppend(&imro, "(", c, " 0 0 500 250 1)");
  WriteFile(dir.File("r.imec0.ap.meta"),
            absl::StrCat(
                "imSampRate=30000\nnSavedChans=17\nsnsApLfSy=16,0,1\n",
                "snsSaveChanSubset=0:0,2:2,4:4,6:6,8:8,10:10,12:12,14:14,16:16,18:18,",
                "20:20,22:22,24:24,26:26,28:28,30:30,768\nimDatPrb_type=0\n~imroTbl=", imro, "\n"));
  auto rec = OpenRecordingFile(dir.File("r.imec0.ap.bin"), RecordingFormat::kAuto, {});
  ASSERT_TRUE(rec.ok()) << rec.status();
  NpyArray golden = ::neurofeat::testing::LoadNpy("phase_shift/inter_sample_shift.npy");
  const std::vector<double>& shifts = rec->source->info().inter_sample_shift;
  ASSERT_EQ(shifts.size(), 17u);
  for (int c = 0; c < 16; ++c) EXPECT_DOUBLE_EQ(shifts[c], golden.as<double>()[c]) << c;
  EXPECT_EQ(shifts[16], 0.0);  // the sync channel

  // A probe type whose multiplexing is not known here: no shifts.
  WriteFile(dir.File("r.imec0.ap.meta"),
            "imSampRate=30000\nnSavedChans=17\nsnsApLfSy=16,0,1\n~imroTbl=(21,384)\n");
  rec = OpenRecordingFile(dir.File("r.imec0.ap.bin"), RecordingFormat::kAuto, {});
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_TRUE(rec->source->info().inter_sample_shift.empty());
}

TEST(RecordingReadersTest, SpikeGlxWithoutMetaIsAnError) {
  TempDir dir;
  WriteFile(dir.File("a.ap.bin"), Int16Bytes(Ramp(10, 2)));
  EXPECT_THAT(OpenRecordingFile(dir.File("a.ap.bin"), RecordingFormat::kSpikeGlx, {}).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("a.ap.meta")));
}

TEST(RecordingReadersTest, OpenEphysBinary) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("continuous/Rhythm_FPGA-100.0"));
  WriteFile(dir.File("continuous/Rhythm_FPGA-100.0/continuous.dat"), Int16Bytes(Ramp(40, 2)));
  WriteFile(dir.File("structure.oebin"), R"({"GUI version": "0.5.5", "continuous": [
      {"folder_name": "Rhythm_FPGA-100.0/", "sample_rate": 30000.0, "num_channels": 2,
       "channels": [{"channel_name": "CH1", "bit_volts": 0.195, "units": "uV"},
                    {"channel_name": "ADC1", "bit_volts": 0.0000374, "units": "V"}]}]})");
  auto rec = OpenRecordingFile(dir.File("structure.oebin"), RecordingFormat::kAuto, {});
  ASSERT_TRUE(rec.ok()) << rec.status();
  const RecordingInfo& info = rec->source->info();
  EXPECT_THAT(info.channel_ids, ::testing::ElementsAre("CH1", "ADC1"));
  EXPECT_DOUBLE_EQ(info.gain_to_uv[0], 0.195);
  EXPECT_DOUBLE_EQ(info.gain_to_uv[1], 37.4);
  EXPECT_EQ(rec->source->num_frames(), 40);
  ReaderOptions bad;
  bad.stream_index = 3;
  EXPECT_THAT(
      OpenRecordingFile(dir.File("structure.oebin"), RecordingFormat::kOpenEphys, bad).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream_index 3 is not in [0, 1)")));
}

// An Open Ephys Record Node folder: settings.xml beside experiment1/, the
// stream `folder` with `channels` int16 channels of 10 frames.
std::string WriteOpenEphys(const TempDir& dir, const std::string& settings,
                           const std::string& folder, const std::string& stream_name, int channels,
                           double fs) {
  const std::string rec = dir.File("Record Node 101/experiment1/recording1");
  std::filesystem::create_directories(rec + "/continuous/" + folder);
  WriteFile(rec + "/continuous/" + folder + "/continuous.dat", Int16Bytes(Ramp(10, channels)));
  WriteFile(rec + "/structure.oebin",
            absl::StrCat(R"({"GUI version": "0.6.7", "continuous": [{"folder_name": ")", folder,
                         R"(/", "stream_name": ")", stream_name, R"(", "sample_rate": )", fs,
                         R"(, "num_channels": )", channels, "}]}"));
  if (!settings.empty()) WriteFile(dir.File("Record Node 101/settings.xml"), settings);
  return rec + "/structure.oebin";
}

// The saved subset: '1' for readout channels 0, 2, ..., 30 (the golden's).
std::string EvenFirst32() {
  std::string state(384, '0');
  for (int c = 0; c < 32; c += 2) state[c] = '1';
  return state;
}

std::string Settings(const std::string& probes, const std::string& record_state) {
  return absl::StrCat(R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- written by a test -->
<SETTINGS><INFO><VERSION>0.6.7</VERSION></INFO>
<SIGNALCHAIN>
 <PROCESSOR name="Neuropix-PXI" NodeId="100" libraryVersion="0.5.0">
  <STREAM name="ProbeA-AP" sample_rate="30000.0"/><STREAM name="ProbeA-LFP" sample_rate="2500.0"/>
  <STREAM name="ProbeB-AP" sample_rate="30000.0"/>
  <EDITOR isCollapsed="0"><CUSTOM_PARAMETERS>)",
                      probes, R"(</CUSTOM_PARAMETERS></EDITOR>
 </PROCESSOR>
 <PROCESSOR name="Record Node" NodeId="101"><CUSTOM_PARAMETERS>
  <STREAM name="ProbeA-AP" source_node_id="100" recording_state=")",
                      record_state, R"("/>
 </CUSTOM_PARAMETERS></PROCESSOR>
</SIGNALCHAIN></SETTINGS>
)");
}

constexpr char kTwoProbes[] =
    R"(<NP_PROBE slot="2" port="1" dock="1" probe_serial_number="18194823302" probe_part_number="PRB_1_4_0480_1" custom_probe_name="ProbeA" isEnabled="1"><CHANNELS CH0="0"/></NP_PROBE>
       <NP_PROBE slot="2" port="2" dock="1" probe_serial_number="19011110" probe_part_number="NP2014" custom_probe_name="ProbeB"/>)";

TEST(RecordingReadersTest, OpenEphysNeuropixels1ShiftsFromSettingsXml) {
  // The golden's shifts again, from a Record Node that saved readout
  // channels 0, 2, ..., 30 of ProbeA's AP stream.
  TempDir dir;
  const std::string oebin = WriteOpenEphys(dir, Settings(kTwoProbes, EvenFirst32()),
                                           "Neuropix-PXI-100.ProbeA-AP", "ProbeA-AP", 16, 30000);
  auto rec = OpenRecordingFile(oebin, RecordingFormat::kAuto, {});
  ASSERT_TRUE(rec.ok()) << rec.status();
  NpyArray golden = ::neurofeat::testing::LoadNpy("phase_shift/inter_sample_shift.npy");
  const RecordingInfo& info = rec->source->info();
  ASSERT_EQ(info.inter_sample_shift.size(), 16u) << info.inter_sample_shift_note;
  for (int c = 0; c < 16; ++c) EXPECT_DOUBLE_EQ(info.inter_sample_shift[c], golden.as<double>()[c]);
  EXPECT_THAT(info.inter_sample_shift_note, HasSubstr("ProbeA (PRB_1_4_0480_1, AP)"));
}

TEST(RecordingReadersTest, OpenEphysLfStreamsHaveTwelveCycles) {
  TempDir dir;
  const std::string oebin = WriteOpenEphys(dir, Settings(kTwoProbes, "ALL"),
                                           "Neuropix-PXI-100.ProbeA-LFP", "ProbeA-LFP", 384, 2500);
  auto rec = OpenRecordingFile(oebin, RecordingFormat::kAuto, {});
  ASSERT_TRUE(rec.ok()) << rec.status();
  const std::vector<double>& s = rec->source->info().inter_sample_shift;
  ASSERT_EQ(s.size(), 384u);
  EXPECT_DOUBLE_EQ(s[0], 0.0);
  EXPECT_DOUBLE_EQ(s[3], 1.0 / 12);    // readout 3: cycle 1
  EXPECT_DOUBLE_EQ(s[23], 11.0 / 12);  // readout 23: cycle 11
  EXPECT_DOUBLE_EQ(s[24], 0.0);        // the next ADC pair starts again
}

TEST(RecordingReadersTest, OpenEphysWithoutUsableSettingsOpensWithoutShiftsAndSaysWhy) {
  struct Case {
    std::string settings, folder, stream, note;
    int channels;
  };
  const std::vector<Case> cases = {
      {Settings(kTwoProbes, "ALL"), "Neuropix-PXI-100.ProbeB-AP", "ProbeB-AP",
       "probe ProbeB (NP2014) is not a Neuropixels 1.0", 384},
      {Settings(kTwoProbes, "ALL"), "Neuropix-PXI-100.ProbeC-AP", "ProbeC-AP",
       "no probe (ProbeA, ProbeB) matches the stream \"ProbeC-AP\"", 384},
      {Settings(kTwoProbes, EvenFirst32()), "Neuropix-PXI-100.ProbeA-AP", "ProbeA-AP",
       "saved 16 of its 384 readout channels but the stream has 20", 20},
      {"", "Neuropix-PXI-100.ProbeA-AP", "ProbeA-AP", "no Open Ephys settings", 384},
      {"<SETTINGS><PROCESSOR name=\"Neuropix-PXI\"></SETTINGS>", "Neuropix-PXI-100.ProbeA-AP",
       "ProbeA-AP", "</SETTINGS> does not close <PROCESSOR>", 384},
      {Settings("", "ALL"), "Neuropix-PXI-100.ProbeA-AP", "ProbeA-AP", "no enabled NP_PROBE", 384},
  };
  for (const Case& c : cases) {
    TempDir dir;
    const std::string oebin =
        WriteOpenEphys(dir, c.settings, c.folder, c.stream, c.channels, 30000);
    auto rec = OpenRecordingFile(oebin, RecordingFormat::kAuto, {});
    ASSERT_TRUE(rec.ok()) << rec.status();
    EXPECT_TRUE(rec->source->info().inter_sample_shift.empty()) << c.note;
    EXPECT_THAT(rec->source->info().inter_sample_shift_note, HasSubstr(c.note));
  }
}

// Files a format opens besides the one named go through `resolve`.
TEST(RecordingReadersTest, CompanionFilesAreResolved) {
  TempDir dir;
  WriteFile(dir.File("a.ap.bin"), Int16Bytes(Ramp(10, 2)));
  WriteFile(dir.File("a.ap.meta"), "imSampRate=30000\nnSavedChans=2\n");
  ReaderOptions o;
  o.resolve = [](const std::string& p) -> absl::StatusOr<std::string> {
    return absl::PermissionDeniedError(absl::StrCat("refused ", p));
  };
  EXPECT_THAT(OpenRecordingFile(dir.File("a.ap.bin"), RecordingFormat::kSpikeGlx, o).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("a.ap.meta")));
}

TEST(RecordingReadersTest, FormatNames) {
  EXPECT_EQ(*ParseRecordingFormat("openephys"), RecordingFormat::kOpenEphys);
  for (const char* name : {"brainvision", "eeglab", "fif", "nwb", "edf", "bdf"}) {
    ASSERT_TRUE(ParseRecordingFormat(name).ok()) << name;
  }
  EXPECT_THAT(ParseRecordingFormat("xdf").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"xdf\"")));
}

// Format detection: the name (in any case) and the first bytes; a name
// that lies about the content is an error naming both.
TEST(RecordingReadersTest, DetectsFormatsByNameAndContent) {
  TempDir dir;
  const std::string npy_magic = std::string("\x93NUMPY\x01\x00", 8);
  struct Case {
    const char* name;
    std::string bytes;
    RecordingFormat want;
  } cases[] = {
      {"a.NPY", npy_magic, RecordingFormat::kNpy},
      {"b.Vhdr", "Brain Vision Data Exchange Header File Version 1.0\r\n",
       RecordingFormat::kBrainVision},
      {"c.vhdr", "BrainVision Data Exchange Header File Version 2.0\n",
       RecordingFormat::kBrainVision},
      {"d.SET", std::string("MATLAB 5.0 MAT-file, written by") + std::string(100, ' '),
       RecordingFormat::kEeglab},
      {"e.set", std::string("MATLAB 7.3 MAT-file, Platform") + std::string(100, ' '),
       RecordingFormat::kEeglab},
      {"f.nwb", std::string("\x89HDF\r\n\x1a\n\0\0", 10), RecordingFormat::kNwb},
      {"g.FIF", std::string("\0\0\0\x64\0\0\0\x1f\0\0\0\x14", 12), RecordingFormat::kFif},
      {"h.BDF",
       std::string("\xff"
                   "BIOSEMI") +
           std::string(100, ' '),
       RecordingFormat::kEdf},
      {"no_suffix", npy_magic, RecordingFormat::kNpy},
      {"no_magic.dat", std::string(64, '\x01'), RecordingFormat::kRaw},
      {"x.ap.BIN", std::string(64, '\x01'), RecordingFormat::kSpikeGlx},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WriteFile(dir.File(c.name), c.bytes);
    absl::StatusOr<RecordingFormat> f = DetectRecordingFormat(dir.File(c.name));
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(*f, c.want) << RecordingFormatName(*f);
  }
  WriteFile(dir.File("lies.edf"), npy_magic);
  EXPECT_THAT(DetectRecordingFormat(dir.File("lies.edf")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the name says edf but the content is npy")));
  EXPECT_THAT(DetectRecordingFormat(dir.File("missing.npy")).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace neurofeat
