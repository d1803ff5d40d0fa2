// The demo's report: a real HTML page (tables, the chart with whole legends), Markdown for terminals.
#include <gtest/gtest.h>

#include "demo/pipeline.hpp"
#include "demo/report.hpp"
#include "eval/html_check.hpp"

namespace {

lw::demo::DemoResult sample() {
  lw::demo::DemoResult r;
  r.scale.name = "quick";
  r.scale.short_cap = 300, r.scale.long_cap = 3000;
  r.scale.ruler_lengths = {100, 1000, 3000};
  r.capped = {"capped", {100, 1000, 3000}, {95, 240, 250}, {120, 300, 300}, 41.5};
  r.long_model = {"long", {100, 1000, 3000}, {110, 930, 2500}, {150, 1200, 3100}, 88.2};
  r.write_target = 2000, r.write_produced = 1950;
  r.seconds = 30, r.stage_seconds = {{"train", 20.0}, {"ruler", 10.0}};
  return r;
}

TEST(DemoReport, HtmlIsAPageWithTablesAndTheWholeLegend) {
  const std::string html = lw::demo::demo_html(sample());
  EXPECT_EQ(lw::testing::check_html(html), "") << html;
  EXPECT_EQ(html.find("<pre>"), std::string::npos);   // not Markdown shown as text
  EXPECT_EQ(html.find("**"), std::string::npos);
  EXPECT_EQ(html.find("| required"), std::string::npos);
  EXPECT_NE(html.find("<table"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  // the legend keeps every word of "capped (outputs &lt;= 300 words)" (wrapped, not cut)
  EXPECT_NE(html.find("capped (outputs &lt;= 300"), std::string::npos) << html;
  EXPECT_NE(html.find(">words)</tspan>"), std::string::npos) << html;
  EXPECT_EQ(html.find("..."), std::string::npos);
  EXPECT_NE(html.find("href=\"write.md\""), std::string::npos);
}

TEST(DemoReport, MarkdownHasTheSameTable) {
  const std::string md = lw::demo::demo_markdown(sample());
  EXPECT_NE(md.find("| required L | capped: mean | capped: max | long: mean | long: max |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 1000 | 240 | 300 | 930 | 1200 |"), std::string::npos) << md;
  EXPECT_NE(md.find("capped **41.5**, long **88.2**"), std::string::npos);
}

}  // namespace
