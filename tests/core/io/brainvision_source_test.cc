#include "core/io/brainvision_source.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

TEST(BrainVisionSourceTest, MissingFileIsAnError) {
  EXPECT_FALSE(OpenBrainVision("/nonexistent/x.vhdr", {}).ok());
}

}  // namespace
}  // namespace neurofeat
