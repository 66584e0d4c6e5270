#include "server/upload_store.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat::server {
namespace {

using ::neurofeat::testing::StatusIs;

TEST(UploadStoreTest, UploadsAreBoundedCheckedAndExpire) {
  testing::TempDir dir;
  auto store = UploadStore::Create(
      {.dir = dir.File("up"), .max_upload_bytes = 1000, .ttl = std::chrono::seconds(60)});
  ASSERT_TRUE(store.ok());
  EXPECT_THAT((*store)->Begin(NpyDtype::kFloat32, {100, 10}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::HasSubstr("upload limit")));
  auto w = (*store)->Begin(NpyDtype::kInt16, {10, 2});
  ASSERT_TRUE(w.ok());
  const std::vector<int16_t> data(20, 7);
  ASSERT_TRUE((*w)->Append(data.data(), 30).ok());
  EXPECT_THAT((*w)->Finish().status(),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 30 of 40 bytes
  auto w2 = (*store)->Begin(NpyDtype::kInt16, {10, 2});
  ASSERT_TRUE((*w2)->Append(data.data(), 40).ok());
  auto id = (*w2)->Finish();
  ASSERT_TRUE(id.ok()) << id.status();
  auto path = (*store)->Path(*id);
  ASSERT_TRUE(path.ok());
  EXPECT_TRUE(std::filesystem::exists(*path));
  EXPECT_THAT((*store)->Path("not-an-id").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  // After the time to live the file is gone and the id unknown.
  (*store)->Expire(std::chrono::steady_clock::now() + std::chrono::seconds(61));
  EXPECT_FALSE(std::filesystem::exists(*path));
  EXPECT_THAT((*store)->Path(*id).status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("expire")));
}

}  // namespace
TEST(UploadStoreTest, TheSpoolAsAWholeIsBoundedAndReservationsReturn) {
  testing::TempDir dir;
  auto store = UploadStore::Create({.dir = dir.File("up"),
                                    .max_upload_bytes = 1000,
                                    .max_spool_bytes = 1500,
                                    .ttl = std::chrono::seconds(60)});
  ASSERT_TRUE(store.ok());
  const std::vector<int16_t> data(400, 1);
  auto first = (*store)->Begin(NpyDtype::kInt16, {200, 2});  // 800 bytes
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*store)->spool_bytes(), 800);
  // In progress, the first upload's bytes are reserved: no room for 800 more.
  EXPECT_THAT((*store)->Begin(NpyDtype::kInt16, {200, 2}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::HasSubstr("spool")));
  // An abandoned upload returns its reservation.
  first->reset();
  EXPECT_EQ((*store)->spool_bytes(), 0);
  auto second = (*store)->Begin(NpyDtype::kInt16, {200, 2});
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->Append(data.data(), 800).ok());
  ASSERT_TRUE((*second)->Finish().ok());
  // Finished, it still holds its bytes until it expires.
  EXPECT_EQ((*store)->spool_bytes(), 800);
  EXPECT_THAT((*store)->Begin(NpyDtype::kInt16, {200, 2}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  (*store)->Expire(std::chrono::steady_clock::now() + std::chrono::seconds(61));
  EXPECT_EQ((*store)->spool_bytes(), 0);
  EXPECT_TRUE((*store)->Begin(NpyDtype::kInt16, {200, 2}).ok());
}

TEST(UploadStoreTest, ShapesThatWrapAreRefused) {
  testing::TempDir dir;
  auto store = UploadStore::Create({.dir = dir.File("up")});
  ASSERT_TRUE(store.ok());
  EXPECT_THAT((*store)->Begin(NpyDtype::kFloat32, {(int64_t{1} << 62) + 30000, 4}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("upload.header")));
  EXPECT_THAT((*store)->Begin(NpyDtype::kInt16, {4, int64_t{1} << 40}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("channels")));
}

}  // namespace neurofeat::server
