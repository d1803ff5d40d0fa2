// The demo's report: a real HTML page (tables, the chart with whole legends), Markdown for terminals.
#include <gtest/gtest.h>

#include "demo/pipeline.hpp"
#include "demo/report.hpp"
#include "eval/html_check.hpp"

namespace {

lw::demo::DemoResult sample() {
  lw::demo::DemoResult r;
  r.scale.name = "quick";
  r.scale.short_cap = 300, r.scale.long_cap = 1000;
  r.scale.ruler_lengths = {100, 1000, 3000};
  r.capped = {"capped", {100, 1000, 3000}, {95, 240, 250}, {120, 300, 300}, {95.0, 20.0, 9.5}, 41.5};
  r.agentwrite = {"capped + AgentWrite", {100, 1000, 3000},  {100, 980, 2950},
                  {100, 1000, 3000},     {99.0, 97.0, 96.2}, 97.4};
  r.long_model = {"long", {100, 1000, 3000}, {110, 930, 2500}, {150, 1200, 3100}, {96.0, 93.0, 75.6}, 88.2};
  r.scale.plan_step_words = 200;
  r.scale.write_targets = {2000, 4000};
  r.pieces = {{2000, 1950, 10, 10}, {2000, 2500, 10, 10}, {4000, 4100, 20, 20}, {4000, 3900, 20, 19}};
  r.seconds = 30, r.stage_seconds = {{"train", 20.0}, {"ruler", 10.0}};
  return r;
}

TEST(DemoReport, HtmlIsAPageWithTablesAndTheWholeLegend) {
  const std::string html = lw::demo::demo_html(sample());
  EXPECT_EQ(lw::testing::check_html(html), "") << html;
  EXPECT_EQ(html.find("<pre>"), std::string::npos);  // not Markdown shown as text
  EXPECT_EQ(html.find("**"), std::string::npos);
  EXPECT_EQ(html.find("| required"), std::string::npos);
  EXPECT_NE(html.find("<table"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  // the legend keeps every word of "capped (outputs &lt;= 300 words)" (wrapped, not cut)
  EXPECT_NE(html.find("capped (outputs &lt;= 300"), std::string::npos) << html;
  EXPECT_NE(html.find(">words)</tspan>"), std::string::npos) << html;
  EXPECT_EQ(html.find("..."), std::string::npos);
  EXPECT_NE(html.find(">(steps &lt;= 200 words)</tspan>"), std::string::npos) << html;
  EXPECT_NE(html.find("href=\"write.md\""), std::string::npos);
  EXPECT_NE(html.find("<td>train</td>"), std::string::npos) << html;  // per-stage times
}

TEST(DemoReport, MarkdownHasTheSameTable) {
  const std::string md = lw::demo::demo_markdown(sample());
  EXPECT_NE(
      md.find("| required L | capped: mean | capped: max | capped + AgentWrite: mean | capped + AgentWrite: "
              "max | long: mean | long: max |"),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("| 1000 | 240 | 300 | 980 | 1000 | 930 | 1200 |"), std::string::npos) << md;
  EXPECT_NE(
      md.find("over every length: capped 41.5, capped + AgentWrite 97.4, long 88.2; over the lengths inside "
              "the long set's range (L <= 1000): capped 57.5, capped + AgentWrite 98.0, long 94.5."),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("| S_l, L <= 1000 | 57.5 |  | 98.0 |  | 94.5 |  |"), std::string::npos) << md;
  // per target: pieces, mean, mean/target, min, max, within +-20%, plan steps, paragraphs = steps
  EXPECT_NE(md.find("| 2000 | 2 | 2225 | 1.11 | 1950 | 2500 | 1 of 2 | 10 | 2 of 2 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| 4000 | 2 | 4000 | 1.00 | 3900 | 4100 | 2 of 2 | 20 | 1 of 2 |"), std::string::npos)
      << md;
}

}  // namespace
