#include "core/io/fif_source.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

TEST(FifSourceTest, MissingFileIsAnError) {
  EXPECT_FALSE(OpenFif("/nonexistent/x.fif", {}).ok());
}

}  // namespace
}  // namespace neurofeat
