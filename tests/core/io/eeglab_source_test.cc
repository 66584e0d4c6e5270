#include "core/io/eeglab_source.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

TEST(EeglabSourceTest, MissingFileIsAnError) {
  EXPECT_FALSE(OpenEeglab("/nonexistent/x.set", {}).ok());
}

}  // namespace
}  // namespace neurofeat
