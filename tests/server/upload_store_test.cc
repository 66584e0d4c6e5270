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
  auto store = UploadStore::Create(dir.File("up"), 1000, std::chrono::seconds(60));
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
}  // namespace neurofeat::server
