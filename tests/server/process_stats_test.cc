#include "server/process_stats.h"

#include <sys/resource.h>

#include <chrono>
#include <vector>

#include "gtest/gtest.h"

namespace neurofeat::server {
namespace {

TEST(ProcessStatsTest, ParsesFieldsAfterACommandNameWithParenthesesAndSpaces) {
  // A real line's layout; the command name holds ") (" to trip naive parsers.
  const std::string line =
      "4242 (neuro) (feat d) S 1 4242 4242 0 -1 4194560 1000 0 0 0 "
      "250 50 0 0 20 0 7 0 12345 104857600 2560 18446744073709551615 "
      "1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
  absl::StatusOr<ProcessStats> s = ParseProcStat(line, 1.0e9, 100, 4096);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 3.0);  // (250 + 50) ticks / 100
  EXPECT_EQ(s->threads, 7);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1.0e9 + 123.45);
  EXPECT_EQ(s->virtual_bytes, 104857600);
  EXPECT_EQ(s->resident_bytes, 2560 * 4096);
}

TEST(ProcessStatsTest, MalformedLinesAreErrors) {
  EXPECT_FALSE(ParseProcStat("", 0, 100, 4096).ok());
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 2", 0, 100, 4096).ok());
  EXPECT_FALSE(ParseProcStat("1 no-parentheses S 1 2 3", 0, 100, 4096).ok());
}

TEST(ProcessStatsTest, OwnProcessAgreesWithGetrusage) {
  // Touch 64 MiB so the resident size is well above the noise.
  std::vector<char> block(64 << 20, 1);
  // Keep the compiler from eliding the allocation (clang may fold it away).
  asm volatile("" : : "r"(block.data()) : "memory");
  absl::StatusOr<ProcessStats> s = ReadProcessStats();
  ASSERT_TRUE(s.ok()) << s.status();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const int64_t max_rss = int64_t{usage.ru_maxrss} * 1024;
  EXPECT_GE(s->resident_bytes, int64_t{64} << 20);
  EXPECT_LE(s->resident_bytes, max_rss);
  EXPECT_GE(s->open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(s->threads, 1);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(s->start_time_seconds, now + 1);
  EXPECT_GE(s->start_time_seconds, now - 3600);
  EXPECT_GE(s->cpu_seconds, 0.0);
  EXPECT_EQ(block[12345], 1);
}

}  // namespace
}  // namespace neurofeat::server
