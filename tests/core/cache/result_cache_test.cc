#include "core/cache/result_cache.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/cache/content_hash.h"
#include "core/cache/content_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::TempDir;
using ::testing::HasSubstr;

int64_t Count(ResultCache& c, CacheLevel level, CacheLookup lookup) {
  return c.stats().lookups[static_cast<int>(level)][static_cast<int>(lookup)].load();
}

std::unique_ptr<ResultCache> Open(const std::string& dir, int64_t max_bytes = 1 << 30,
                                  int64_t ttl = 0) {
  ResultCacheOptions o;
  o.dir = dir;
  o.max_bytes = max_bytes;
  o.ttl_seconds = ttl;
  std::string note;
  auto c = ResultCache::Open(o, &note);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(ResultCacheTest, PutGetAndDescriptorIsCompared) {
  TempDir dir;
  auto c = Open(dir.File("db"));
  c->Put(CacheLevel::kFeatures, "descriptor A", "payload A");
  EXPECT_EQ(c->Get(CacheLevel::kFeatures, "descriptor A"), "payload A");
  EXPECT_FALSE(c->Get(CacheLevel::kFeatures, "descriptor B").has_value());
  // Levels are separate column families.
  EXPECT_FALSE(c->Get(CacheLevel::kSpectra, "descriptor A").has_value());
  EXPECT_EQ(Count(*c, CacheLevel::kFeatures, CacheLookup::kHit), 1);
  EXPECT_EQ(Count(*c, CacheLevel::kFeatures, CacheLookup::kMiss), 1);
  EXPECT_EQ(Count(*c, CacheLevel::kSpectra, CacheLookup::kMiss), 1);
}

TEST(ResultCacheTest, SurvivesReopening) {
  TempDir dir;
  Open(dir.File("db"))->Put(CacheLevel::kSpectra, "d", std::string(1000, 'x'));
  EXPECT_EQ(Open(dir.File("db"))->Get(CacheLevel::kSpectra, "d"), std::string(1000, 'x'));
}

// Bytes flipped in an SST file: the read is a miss, counted as corrupt, and
// the entry is deleted.
// Incompressible bytes, so the SST files hold them at full size.
std::string Noise(int seed, size_t n) {
  std::string s(n, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

TEST(ResultCacheTest, CorruptSstFileIsAMissCountedAndDeleted) {
  TempDir dir;
  {
    auto c = Open(dir.File("db"));
    for (int i = 0; i < 50; ++i) {
      c->Put(CacheLevel::kFeatures, "key " + std::to_string(i), Noise(i, 4000));
    }
    c->Flush();
  }
  int flipped = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.File("db"))) {
    if (e.path().extension() != ".sst" || e.file_size() < 20000) continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    for (int64_t at = 1000; at < static_cast<int64_t>(e.file_size()) - 4096; at += 3000) {
      f.seekp(at);
      f.put('\x5a');
      ++flipped;
    }
  }
  ASSERT_GT(flipped, 0);
  auto c = Open(dir.File("db"));
  int ok = 0;
  for (int i = 0; i < 50; ++i) {
    auto v = c->Get(CacheLevel::kFeatures, "key " + std::to_string(i));
    if (v.has_value()) {
      EXPECT_EQ(*v, Noise(i, 4000));  // never a wrong value
      ++ok;
    }
  }
  EXPECT_GT(c->stats().corrupt.load(), 0);
  EXPECT_EQ(Count(*c, CacheLevel::kFeatures, CacheLookup::kCorrupt), c->stats().corrupt.load());
  EXPECT_LT(ok, 50);
}

TEST(ResultCacheTest, DatabaseThatWillNotOpenIsMovedAside) {
  TempDir dir;
  Open(dir.File("db"))->Put(CacheLevel::kFeatures, "d", "p");
  // Break the manifest pointer.
  std::ofstream(dir.File("db/CURRENT"), std::ios::trunc) << "MANIFEST-999999\n";
  ResultCacheOptions o;
  o.dir = dir.File("db");
  std::string note;
  auto c = ResultCache::Open(o, &note);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(note, HasSubstr("moved it to"));
  EXPECT_FALSE((*c)->Get(CacheLevel::kFeatures, "d").has_value());
  (*c)->Put(CacheLevel::kFeatures, "d", "p2");
  EXPECT_EQ((*c)->Get(CacheLevel::kFeatures, "d"), "p2");
  int broken = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("db.broken-", 0) == 0) ++broken;
  }
  EXPECT_EQ(broken, 1);
}

TEST(ResultCacheTest, UnwritableDirectoryMeansNoCacheAndAWarning) {
  std::string warning;
  ResultCacheOptions o;
  o.dir = "/proc/neurofeat-cache-test";  // procfs: nothing can be created there
  EXPECT_EQ(ResultCache::OpenOrWarn(o, &warning), nullptr);
  EXPECT_THAT(warning, HasSubstr("running without a cache"));
}

TEST(ResultCacheTest, SizeCapEvictsOldestData) {
  TempDir dir;
  const int64_t cap = 600 << 10;
  auto c = Open(dir.File("db"), cap);
  for (int i = 0; i < 300; ++i) {
    c->Put(CacheLevel::kFeatures, "k" + std::to_string(i),
           std::string(20000, static_cast<char>(i)));
    if (i % 10 == 9) c->Flush();
  }
  c->Flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // background compactions
  EXPECT_GT(c->stats().evicted_files.load(), 0);
  EXPECT_GT(c->stats().evicted_entries.load(), 0);
  EXPECT_LT(c->ApproximateBytes(), 2 * cap);                      // one file of slack per family
  EXPECT_FALSE(c->Get(CacheLevel::kFeatures, "k0").has_value());  // the oldest went first
  EXPECT_TRUE(c->Get(CacheLevel::kFeatures, "k299").has_value());
}

TEST(ResultCacheTest, TtlExpires) {
  TempDir dir;
  auto c = Open(dir.File("db"), 1 << 30, /*ttl=*/1);
  c->Put(CacheLevel::kSpectra, "d", "p");
  EXPECT_TRUE(c->Get(CacheLevel::kSpectra, "d").has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_FALSE(c->Get(CacheLevel::kSpectra, "d").has_value());
}

TEST(ContentHashTest, TreeHashIsStableAndSensitive) {
  std::vector<char> a(10 << 20, 'a');
  const std::string h1 = HashBytes(a.data(), a.size(), 1 << 20);
  EXPECT_EQ(h1, HashBytes(a.data(), a.size(), 1 << 20));
  a[5 << 20] = 'b';
  EXPECT_NE(h1, HashBytes(a.data(), a.size(), 1 << 20));
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  TempDir dir;
  testing::WriteFile(dir.File("f"), std::string(a.begin(), a.end()));
  EXPECT_EQ(*HashFile(dir.File("f"), 1 << 20), HashBytes(a.data(), a.size(), 1 << 20));
  auto id1 = FileIdentity(dir.File("f"));
  ASSERT_TRUE(id1.ok());
  testing::WriteFile(dir.File("f"), "changed");
  EXPECT_NE(*FileIdentity(dir.File("f")), *id1);
}

}  // namespace
}  // namespace neurofeat

namespace neurofeat {
namespace {

// A file's digest is computed once and then found by its identity, also by
// a new process (through the cache's "files" level); a changed file is
// hashed again.
TEST(ContentKeysTest, FileDigestsAreRememberedByIdentity) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("rec.bin"), std::string(3 << 20, 'x'));
  ResultCacheOptions o;
  o.dir = dir.File("cache");
  auto cache = std::move(*ResultCache::Open(o, nullptr));
  ContentKeys keys(cache.get(), [](const std::function<void()>& fn) { fn(); });
  const std::string d1 = *keys.ForFile(dir.File("rec.bin"));
  EXPECT_EQ(*keys.ForFile(dir.File("rec.bin")), d1);
  EXPECT_EQ(keys.files_hashed(), 1);
  ContentKeys fresh(cache.get(), [](const std::function<void()>& fn) { fn(); });
  EXPECT_EQ(*fresh.ForFile(dir.File("rec.bin")), d1);
  EXPECT_EQ(fresh.files_hashed(), 0);
  testing::WriteFile(dir.File("rec.bin"), std::string(3 << 20, 'y'));
  const std::string d2 = *keys.ForFile(dir.File("rec.bin"));
  EXPECT_NE(d2, d1);
  EXPECT_EQ(keys.files_hashed(), 2);
}

}  // namespace
}  // namespace neurofeat
