#include "core/io/nwb_source.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

TEST(NwbSourceTest, MissingFileIsAnError) {
  EXPECT_FALSE(OpenNwb("/nonexistent/x.nwb", {}).ok());
}

}  // namespace
}  // namespace neurofeat
