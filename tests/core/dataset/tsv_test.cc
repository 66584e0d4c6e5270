#include "core/dataset/tsv.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TsvTest, ParsesHeaderRowsAndTheirLines) {
  absl::StatusOr<TsvTable> t =
      ParseTsv("onset\tduration\ttrial_type\n1.5\t0.5\tleft\n3\tn/a\tright\n", "e.tsv");
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(t->columns, ElementsAre("onset", "duration", "trial_type"));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_THAT(t->rows[0], ElementsAre("1.5", "0.5", "left"));
  // "n/a" is kept as written; IsMissing() is how a reader asks.
  EXPECT_THAT(t->rows[1], ElementsAre("3", "n/a", "right"));
  EXPECT_THAT(t->lines, ElementsAre(2, 3));
}

TEST(TsvTest, ColumnFindsANameOrNothing) {
  absl::StatusOr<TsvTable> t = ParseTsv("name\ttype\tstatus\n", "c.tsv");
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->Column("name"), 0u);
  EXPECT_EQ(t->Column("status"), 2u);
  EXPECT_EQ(t->Column("Status"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(t->Column("onset"), std::nullopt);
  EXPECT_TRUE(t->rows.empty());  // a header alone is a table without rows
}

TEST(TsvTest, BlankLinesAreSkippedButCounted) {
  absl::StatusOr<TsvTable> t = ParseTsv("\na\tb\n\n1\t2\n\n\n3\t4", "x.tsv");
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(t->columns, ElementsAre("a", "b"));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_THAT(t->rows[1], ElementsAre("3", "4"));  // the last line has no "\n"
  EXPECT_THAT(t->lines, ElementsAre(4, 7));
}

TEST(TsvTest, CrLfLineEndsAndAByteOrderMark) {
  absl::StatusOr<TsvTable> t =
      ParseTsv("\xef\xbb\xbfparticipant_id\tage\r\nsub-01\t34\r\nsub-02\tn/a\r\n", "p.tsv");
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(t->columns, ElementsAre("participant_id", "age"));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_THAT(t->rows[0], ElementsAre("sub-01", "34"));
  EXPECT_THAT(t->rows[1], ElementsAre("sub-02", "n/a"));
  EXPECT_THAT(t->lines, ElementsAre(2, 3));
}

TEST(TsvTest, EmptyFieldsAreFields) {
  absl::StatusOr<TsvTable> t = ParseTsv("a\tb\tc\n\tx\t\n", "x.tsv");
  ASSERT_THAT(t, IsOk());
  ASSERT_EQ(t->rows.size(), 1u);
  EXPECT_THAT(t->rows[0], ElementsAre("", "x", ""));
}

TEST(TsvTest, IsMissingIsNaOrEmpty) {
  EXPECT_TRUE(IsMissing("n/a"));
  EXPECT_TRUE(IsMissing(""));
  EXPECT_FALSE(IsMissing("0"));
  EXPECT_FALSE(IsMissing("na"));
  EXPECT_FALSE(IsMissing(" n/a"));
}

TEST(TsvTest, Errors) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case kCases[] = {
      {"a\tb\tc\td\n1\t2\t3\t4\n1\t2\t3\n", "x.tsv:3: 3 fields, the header has 4"},
      {"a\tb\n1\t2\t3\n", "x.tsv:2: 3 fields, the header has 2"},
      // A blank line still counts: the bad row is on line 4.
      {"a\tb\n1\t2\n\n1\n", "x.tsv:4: 1 fields, the header has 2"},
      {"a\t\tc\n", "x.tsv:1: the header has an empty column name"},
      {"\n\na\tb\ta\n", "x.tsv:3: column \"a\" appears twice"},
      {"", "x.tsv: no header row"},
      {"\n\r\n\n", "x.tsv: no header row"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(ParseTsv(c.text, "x.tsv"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

}  // namespace
}  // namespace neurofeat
