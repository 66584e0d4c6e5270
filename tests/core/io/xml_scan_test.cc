#include "core/io/xml_scan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

TEST(XmlScanTest, ElementsAttributesAndParents) {
  auto els = ScanXml(R"(<?xml version="1.0"?>
<!DOCTYPE x><!-- <NOT a="tag"/> -->
<A k='1'><B x="a &amp; b &lt;&#65;&#x42;&gt;" y = "2"/><![CDATA[<C/>]]>text<D></D></A>)",
                     "doc");
  ASSERT_TRUE(els.ok()) << els.status();
  ASSERT_EQ(els->size(), 3u);
  EXPECT_EQ((*els)[0].name, "A");
  EXPECT_EQ((*els)[0].parent, -1);
  EXPECT_EQ(*(*els)[0].Find("k"), "1");
  EXPECT_EQ((*els)[1].name, "B");
  EXPECT_EQ((*els)[1].parent, 0);
  EXPECT_EQ(*(*els)[1].Find("x"), "a & b <AB>");
  EXPECT_EQ(*(*els)[1].Find("y"), "2");
  EXPECT_EQ((*els)[1].Find("z"), nullptr);
  EXPECT_EQ((*els)[2].name, "D");
  EXPECT_EQ((*els)[2].parent, 0);
}

TEST(XmlScanTest, MalformedMarkupIsAnErrorNamingTheDocumentAndOffset) {
  for (const auto& [text, what] : std::vector<std::pair<std::string, std::string>>{
           {"<A><B></A>", "</A> does not close <B>"},
           {"<A>", "<A> is never closed"},
           {"<A b=1/>", "attribute b has no quoted value"},
           {"<A b=\"1/>", "attribute b is not closed"},
           {"<A b=\"&bogus;\"/>", "an unknown entity &bogus;"},
           {"<A b=\"&#0;\"/>", "a malformed character reference"},
           {"<!-- never closed", "an unclosed comment"},
           {"</A>", "</A> does not close any element"},
           {"just text", "no elements"},
           {"<A", "<A> is not closed"},
       }) {
    EXPECT_THAT(ScanXml(text, "settings.xml").status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::AllOf(HasSubstr("settings.xml: "), HasSubstr(what))))
        << text;
  }
}

TEST(XmlScanTest, DeepNestingAndElementBound) {
  // No recursion: 100k levels scan fine; the element bound holds.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  for (int i = 0; i < 100000; ++i) deep += "</a>";
  auto els = ScanXml(deep, "d");
  ASSERT_TRUE(els.ok()) << els.status();
  EXPECT_EQ(els->size(), 100000u);
  EXPECT_THAT(ScanXml(deep, "d", 10).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 10 elements")));
}

}  // namespace
}  // namespace neurofeat
