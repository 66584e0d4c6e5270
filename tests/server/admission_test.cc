#include "server/admission.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neurofeat::server {
namespace {

using ::testing::HasSubstr;

Admission::Options Opts(int64_t budget, int queue, int wait_ms) {
  Admission::Options o;
  o.budget_bytes = budget;
  o.max_queue = queue;
  o.max_wait = std::chrono::milliseconds(wait_ms);
  return o;
}

TEST(AdmissionTest, FitsRunsAndReleases) {
  Admission a(Opts(100, 4, 1000));
  {
    auto t = a.Admit(60, nullptr);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(a.bytes_in_use(), 60);
    EXPECT_EQ(a.in_flight(), 1);
  }
  EXPECT_EQ(a.bytes_in_use(), 0);
  EXPECT_EQ(a.in_flight(), 0);
}

TEST(AdmissionTest, LargerThanTheBudgetIsRefusedAtOnce) {
  Admission a(Opts(100, 4, 10000));
  const auto t0 = std::chrono::steady_clock::now();
  auto t = a.Admit(101, nullptr);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("budget"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
}

TEST(AdmissionTest, WaitsThenRunsWhenMemoryFrees) {
  Admission a(Opts(100, 4, 5000));
  auto first = a.Admit(60, nullptr);
  ASSERT_TRUE(first.ok());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    *first = Admission::Ticket();
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto second = a.Admit(60, nullptr);
  release.join();
  EXPECT_TRUE(second.ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
}

TEST(AdmissionTest, WaitingIsBoundedInTimeAndInQueueLength) {
  Admission a(Opts(100, 1, 200));
  auto first = a.Admit(60, nullptr);
  ASSERT_TRUE(first.ok());
  const auto t0 = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    auto t = a.Admit(60, nullptr);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("retry in about"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // The queue (1) is full: refused at once.
  auto third = a.Admit(60, nullptr);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(third.status().message()), HasSubstr("queue limit 1"));
  waiter.join();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(190));
}

TEST(AdmissionTest, CancelledWhileWaitingAndDraining) {
  Admission a(Opts(100, 4, 5000));
  auto first = a.Admit(100, nullptr);
  ASSERT_TRUE(first.ok());
  auto cancelled = a.Admit(10, [] { return true; });
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  a.Drain();
  EXPECT_EQ(a.Admit(1, nullptr).status().code(), absl::StatusCode::kUnavailable);
}

// At rest (nothing running or waiting for idle_delay) the server gives its
// cached memory back: on_idle runs once per rest, not while a request runs,
// and a request that comes within the delay postpones it.
TEST(AdmissionTest, OnIdleRunsOnceTheServerIsAtRest) {
  Admission::Options o = Opts(100, 4, 1000);
  o.idle_delay = std::chrono::milliseconds(300);
  std::promise<std::chrono::steady_clock::time_point> idle;
  std::atomic<int> calls{0};
  o.on_idle = [&] {
    if (calls.fetch_add(1) == 0) idle.set_value(std::chrono::steady_clock::now());
  };
  Admission a(o);
  std::future<std::chrono::steady_clock::time_point> rested = idle.get_future();
  std::chrono::steady_clock::time_point released;
  {
    auto first = a.Admit(60, nullptr);
    ASSERT_TRUE(first.ok());
    {
      auto second = a.Admit(30, nullptr);
      ASSERT_TRUE(second.ok());
    }
    // One request still runs: not at rest.
    EXPECT_EQ(rested.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout);
    released = std::chrono::steady_clock::now();
  }
  ASSERT_EQ(rested.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_GE(rested.get() - released, std::chrono::milliseconds(300));
  EXPECT_EQ(a.idle_calls(), 1);
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
}  // namespace neurofeat::server
