// report.json / report.md / report.html, the ruler report and compare: content and well-formedness.
#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>

#include "eval/compare.hpp"
#include "eval/report.hpp"
#include "eval/ruler.hpp"
#include "eval/svg_chart.hpp"
#include "eval/table.hpp"
#include "html_check.hpp"
#include "io/file.hpp"
#include "util/error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw::eval;
using lw::io::Json;
using lw::testing::check_html;
using lw::testing::count_of;

const std::string kDir = std::string(LW_TEST_DATA_DIR) + "/bench/";

class Reports : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("lw_bench_rep_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

ScoreReport parity_report(bool with_judge) {
  static auto preds = lw::io::read_jsonl(kDir + "parity_pred.jsonl");
  static auto judges = lw::io::read_jsonl(kDir + "parity_judge.jsonl");
  ScoreReport r = compute_scores(preds, with_judge ? &judges : nullptr, nullptr);
  r.name = "parity <model> & co";
  r.pred_path = "parity_pred.jsonl";
  return r;
}

TEST(HtmlCheck, CatchesBrokenMarkup) {
  EXPECT_EQ(check_html("<!DOCTYPE html>\n<html><body><p>a &amp; b</p><br></body></html>"), "");
  EXPECT_NE(check_html("<!DOCTYPE html><html><body><p>x</body></html>"), "");
  EXPECT_NE(check_html("<!DOCTYPE html><html><body>a & b</body></html>"), "");
  EXPECT_NE(check_html("<!DOCTYPE html><html><body><td class=num>x</td></body></html>"), "");
  EXPECT_NE(check_html("<!DOCTYPE html><html><body><svg><line x1=\"1\"></svg></body></html>"), "");
}

TEST_F(Reports, WritesJsonMarkdownAndWellFormedHtml) {
  ScoreReport r = parity_report(true);
  write_report(r, dir_);
  Json j = Json::parse(lw::io::read_file(dir_ / "report.json"));
  EXPECT_NEAR(j.at("S_l").get<double>(), *r.overall.s_l, 1e-12);
  EXPECT_NEAR(j.at("S_q").get<double>(), *r.overall.s_q, 1e-12);
  EXPECT_NEAR(j.at("S").get<double>(), *r.overall.s, 1e-12);
  ASSERT_EQ(j.at("buckets").size(), 4u);
  EXPECT_EQ(j.at("buckets")[3].at("lo").get<int>(), 4000);
  EXPECT_TRUE(j.at("buckets")[3].at("hi").is_null());
  EXPECT_EQ(j.at("types").size(), 7u);
  EXPECT_EQ(j.at("counts").at("predictions").get<int>(), 210);
  EXPECT_EQ(j.at("counts").at("judge_failed").get<size_t>(), r.judge_failed.size());
  EXPECT_EQ(j.at("judge_missing").size(), r.judge_missing.size());
  EXPECT_FALSE(j.at("complete").get<bool>());
  EXPECT_EQ(j.at("items").size(), 210u);
  EXPECT_TRUE(j.at("quality").contains("Breadth and Depth"));

  std::string md = lw::io::read_file(dir_ / "report.md");
  EXPECT_NE(md.find("| Model | S_l | S_q | S |"), std::string::npos);
  EXPECT_NE(md.find("## By required length"), std::string::npos);
  EXPECT_NE(md.find("| [4000, inf) |"), std::string::npos);
  EXPECT_NE(md.find("## Quality dimensions"), std::string::npos);
  EXPECT_NE(md.find("### Judge gave no usable answer"), std::string::npos);
  EXPECT_NE(md.find("### Not judged"), std::string::npos);

  std::string html = lw::io::read_file(dir_ / "report.html");
  EXPECT_EQ(check_html(html), "");
  EXPECT_EQ(count_of(html, "<svg "), 1u);
  EXPECT_NE(html.find("viewBox=\"0 0 720 560\""), std::string::npos);
  // The y = x line runs corner to corner of the plot square (50,50) -> (25000,25000).
  EXPECT_NE(html.find("<line x1=\"72.0\" y1=\"484.0\" x2=\"512.0\" y2=\"44.0\" stroke=\"#555\""),
            std::string::npos);
  EXPECT_EQ(count_of(html, "<circle cx=\"") - count_of(html, "r=\"4\""), 210u);  // one per prediction
  EXPECT_NE(html.find(">50</text>"), std::string::npos);
  EXPECT_NE(html.find(">25k</text>"), std::string::npos);
  EXPECT_NE(html.find("drawn on the border"), std::string::npos);  // empty and 30,000-word responses
  EXPECT_NE(html.find("parity &lt;model&gt; &amp; co"), std::string::npos);
  EXPECT_EQ(html.find("<model>"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // nothing external
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST_F(Reports, WithoutJudgeOmitsQuality) {
  ScoreReport r = parity_report(false);
  write_report(r, dir_);
  Json j = Json::parse(lw::io::read_file(dir_ / "report.json"));
  EXPECT_TRUE(j.at("S_q").is_null());
  EXPECT_TRUE(j.at("S").is_null());
  EXPECT_TRUE(j.at("complete").get<bool>());
  std::string md = lw::io::read_file(dir_ / "report.md");
  EXPECT_EQ(md.find("## Quality dimensions"), std::string::npos);
  EXPECT_EQ(check_html(lw::io::read_file(dir_ / "report.html")), "");
}

TEST(Svg, TicksAndClamping) {
  EXPECT_EQ(log_ticks(50, 25000), (std::vector<double>{50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000}));
  ScatterChart c;
  c.points = {{10, 100000, 0, "<far>"}, {100, 100, 0, "in"}};
  c.series = {{"s", "#000", ""}};
  std::string svg = render_loglog_scatter(c);
  EXPECT_NE(svg.find("&lt;far&gt;"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"none\" stroke=\"#000\""), std::string::npos);  // the clamped one is hollow
  EXPECT_EQ(check_html(fmt::format("<!DOCTYPE html>{}", svg)), "");
}

// connect_series joins each series' points in x order with its colour and dash, in the legend too;
// a point outside the axes stays out of the line.
TEST(Svg, ConnectedSeriesAreCurves) {
  ScatterChart c;
  c.lo = 10, c.hi = 1000;
  c.series = {{"a", "#111", ""}, {"b", "#222", "7 4"}};
  c.points = {{200, 20, 0, ""}, {100, 10, 0, ""}, {100, 100, 1, ""}, {200, 5000, 1, ""}, {50, 50, 1, ""}};
  c.connect_series = true;
  const std::string svg = render_loglog_scatter(c);
  const size_t a = svg.find("<polyline"), b = svg.find("<polyline", a + 1);
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  EXPECT_EQ(svg.find("<polyline", b + 1), std::string::npos);
  const std::string first = svg.substr(a, svg.find("/>", a) - a),
                    second = svg.substr(b, svg.find("/>", b) - b);
  EXPECT_NE(first.find("stroke=\"#111\""), std::string::npos) << first;
  EXPECT_EQ(first.find("dasharray"), std::string::npos) << first;
  EXPECT_NE(second.find("stroke=\"#222\""), std::string::npos) << second;
  EXPECT_NE(second.find("stroke-dasharray=\"7 4\""), std::string::npos) << second;
  // x order: the first series' line starts at x = 100, left of x = 200
  const std::string pts = first.substr(first.find("points=\"") + 8);
  EXPECT_LT(std::stod(pts), std::stod(pts.substr(pts.find(' ') + 1))) << pts;
  // two points each (the out-of-range one is not joined)
  EXPECT_EQ(std::count(second.begin(), second.end(), ','), 2) << second;
  EXPECT_NE(svg.find("<line", svg.find("<g font-size")), std::string::npos);  // legend line sample
  EXPECT_EQ(check_html(fmt::format("<!DOCTYPE html>{}", svg)), "");
}

lw::io::Record rec(Json v, int line) {
  lw::io::Record r;
  r.value = std::move(v);
  r.path = "ruler.jsonl";
  r.line = line;
  return r;
}

TEST(Ruler, Within20PercentIsInclusiveAndExact) {
  EXPECT_TRUE(within_20_percent(1000, 800));
  EXPECT_TRUE(within_20_percent(1000, 1200));
  EXPECT_FALSE(within_20_percent(1000, 799));
  EXPECT_FALSE(within_20_percent(1000, 1201));
  EXPECT_FALSE(within_20_percent(1000, 0));
}

TEST_F(Reports, RulerPerLengthRowsAndChart) {
  std::vector<lw::io::Record> preds = {
      rec({{"prompt", "a"}, {"length", 1000}, {"response_length", 900}}, 1),
      rec({{"prompt", "b"}, {"length", 1000}, {"response_length", 1500}, {"finish_reason", "length"}}, 2),
      rec({{"prompt", "c"}, {"length", 30000}, {"response_length", 12000}}, 3),
      rec({{"prompt", "d"}, {"length", 5000}, {"response", "only four words here"}}, 4)};
  RulerReport r = analyze_ruler(preds);
  r.name = "m";
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].length, 1000);
  EXPECT_EQ(r.rows[0].n, 2);
  EXPECT_DOUBLE_EQ(r.rows[0].mean, 1200.0);
  EXPECT_EQ(r.rows[0].max, 1500);
  EXPECT_DOUBLE_EQ(r.rows[0].within20, 0.5);
  EXPECT_EQ(r.rows[0].truncated, 1);
  EXPECT_EQ(r.rows[1].length, 5000);
  EXPECT_EQ(r.rows[1].max, 4);
  EXPECT_EQ(r.rows[2].length, 30000);
  EXPECT_DOUBLE_EQ(r.overall.within20, 0.25);
  write_ruler_report(r, dir_);
  Json j = Json::parse(lw::io::read_file(dir_ / "ruler.json"));
  EXPECT_EQ(j.at("lengths").size(), 3u);
  EXPECT_DOUBLE_EQ(j.at("lengths")[0].at("within_20pct").get<double>(), 0.5);
  std::string html = lw::io::read_file(dir_ / "ruler.html");
  EXPECT_EQ(check_html(html), "");
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  EXPECT_NE(html.find("y = 1.2 x"), std::string::npos);
  EXPECT_NE(lw::io::read_file(dir_ / "ruler.md").find("| 1000 | 2 | 1200 | 1500 | 50% |"), std::string::npos);
}

TEST_F(Reports, CompareSideBySide) {
  ScoreReport a = parity_report(true);
  a.name = "model-a";
  ScoreReport b = parity_report(false);
  b.name = "";
  write_report(a, dir_ / "a");
  write_report(b, dir_ / "b-dir");
  std::vector<CompareEntry> es = {load_report(dir_ / "a"), load_report(dir_ / "b-dir" / "report.json")};
  EXPECT_EQ(es[0].name, "model-a");
  EXPECT_EQ(es[1].name, "b-dir");
  write_compare(es, dir_ / "cmp");
  std::string md = lw::io::read_file(dir_ / "cmp" / "compare.md");
  EXPECT_NE(md.find("| Model | S_l | S_q | S |"), std::string::npos);
  EXPECT_NE(
      md.find(fmt::format("| model-a | {} | {}", format_score(a.overall.s_l), format_score(a.overall.s_q))),
      std::string::npos);
  EXPECT_NE(md.find(fmt::format("| b-dir | {} | n/a | n/a |", format_score(b.overall.s_l))),
            std::string::npos);
  EXPECT_NE(md.find("## S_l by required length"), std::string::npos);
  EXPECT_NE(md.find("| Model | [0, 500) | [500, 2000) | [2000, 4000) | [4000, inf) |"), std::string::npos);
  std::string html = lw::io::read_file(dir_ / "cmp" / "compare.html");
  EXPECT_EQ(check_html(html), "");
  EXPECT_NE(html.find(">model-a</tspan></text>"), std::string::npos);  // legend entry per model
}

TEST_F(Reports, CompareRejectsWhatIsNotAReport) {
  fs::create_directories(dir_ / "empty");
  EXPECT_THROW(load_report(dir_ / "empty"), lw::InputError);
  lw::io::write_file_atomic(dir_ / "x" / "report.json", "{\"hello\": 1}");
  try {
    load_report(dir_ / "x");
    FAIL();
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("report.json"), std::string::npos);
  }
}

}  // namespace
