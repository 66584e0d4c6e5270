// What clients see of errors: the same code, private directories hidden,
// messages capped on a UTF-8 boundary.
#include "server/status_mapping.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neurofeat::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusMappingTest, EveryCodeKeepsItsNumber) {
  const StatusMapper mapper;
  for (int code = 0; code <= 16; ++code) {
    SCOPED_TRACE(code);
    const absl::Status s(static_cast<absl::StatusCode>(code), code == 0 ? "" : "m");
    const grpc::Status g = mapper.ToGrpc(s, nullptr);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    EXPECT_EQ(g.error_message(), code == 0 ? "" : "m");
  }
}

TEST(StatusMappingTest, PathsUnderPrivateDirectoriesAreShownRelative) {
  const StatusMapper mapper({"/srv/data", "/srv/data/nested/", "/mnt/b"},
                            {{"/tmp/neurofeatd-12", "upload "}});
  EXPECT_EQ(mapper.PublicMessage("/srv/data/sub/x.npy: truncated"), "sub/x.npy: truncated");
  EXPECT_EQ(mapper.PublicMessage("/srv/data/nested/y.bin and /mnt/b/z.edf"), "y.bin and z.edf");
  EXPECT_EQ(mapper.PublicMessage("cannot read /tmp/neurofeatd-12/ab12.npy"),
            "cannot read upload ab12.npy");
  // Only whole directory names: /srv/database is not under /srv/data.
  EXPECT_EQ(mapper.PublicMessage("/srv/database/x"), "/srv/database/x");
}

TEST(StatusMappingTest, LongMessagesAreCutOnACharacterBoundary) {
  const StatusMapper mapper;
  std::string long_message = "recording.path.path: \"";
  while (long_message.size() < 5000) long_message += "\xc3\xa9";  // é, two bytes
  const std::string cut = mapper.PublicMessage(long_message);
  EXPECT_LE(cut.size(), kMaxErrorMessageBytes);
  EXPECT_THAT(cut, HasSubstr("recording.path.path"));
  EXPECT_THAT(cut, HasSubstr("(message cut)"));
  // No dangling lead byte before the marker.
  const size_t marker = cut.find(" ... (message cut)");
  ASSERT_NE(marker, std::string::npos);
  EXPECT_NE(static_cast<unsigned char>(cut[marker - 1]), 0xc3);
  EXPECT_EQ(mapper.PublicMessage("short"), "short");
}

TEST(StatusMappingTest, ResourceExhaustedCarriesItsMessage) {
  const StatusMapper mapper({"/srv/data"}, {});
  const grpc::Status g =
      mapper.ToGrpc(absl::ResourceExhaustedError("busy; retry /srv/data/a.npy"), nullptr);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(g.error_message(), Not(HasSubstr("/srv/data")));
}

}  // namespace
}  // namespace neurofeat::server
