// Plan parsing on realistic plans (tests/fixtures/agentwrite/plans): the reference format, Chinese
// variants, markdown, numbering drift, missing counts and malformed plans.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "agentwrite/plan.hpp"
#include "io/file.hpp"

namespace {

namespace aw = lw::agentwrite;

std::string fixture(const std::string& name) {
  return lw::io::read_file(std::string(LW_TEST_DATA_DIR) + "/agentwrite/plans/" + name + ".txt");
}

struct Case {
  const char* name;
  int64_t target;
  std::vector<int64_t> words;  // empty: rejected
  bool chinese;
  const char* first_point_prefix;
  const char* note;  // a substring one of the notes must contain ("" for none expected)
};

const Case kCases[] = {
    {"en_reference", 0, {700, 1000, 800, 900, 600}, false, "Introduce the Roman road network", ""},
    {"en_no_blank_lines", 0, {400, 500, 500, 600, 600, 400}, false, "Define remote work", ""},
    {"en_preamble_and_outro", 3000, {800, 900, 1000}, false, "Open with a scene", "outside the steps"},
    {"en_markdown_bullets_bold", 0, {500, 700, 700, 600}, false, "Introduce photosynthesis", ""},
    {"en_bold_labels_colon", 0, {300, 450, 450, 500}, false, "The state of urban air quality", ""},
    {"en_numbering_drift", 0, {400, 600, 500, 700, 300}, false, "Background of the company", "numbering drift (1,2,2,5,6)"},
    {"en_missing_counts_all", 4000, {1000, 1000, 1000, 1000}, false, "What a black hole is", "4 step(s) had no word count"},
    {"en_missing_counts_some", 4000, {1000, 1000, 1000, 1000}, false, "The invention of the printing press", "rest of the 4000-word target"},
    {"en_numbered_list", 0, {500, 600, 600, 300}, false, "Introduction to the history of jazz", ""},
    {"en_ranges_and_about", 0, {400, 600, 1000, 700}, false, "The causes of the French Revolution", ""},
    {"en_multiline_steps", 0, {400, 800, 800}, false, "Introduce the debate over nuclear power", ""},
    {"en_wrapped_main_point", 0, {900, 900}, false, "Introduce the protagonist", ""},
    {"en_headings", 0, {600, 800, 600}, false, "Overview of machine translation", "outside the steps"},
    {"en_step_labels", 0, {300, 400, 300}, false, "Describe the water cycle", ""},
    {"en_trailing_parenthesised_count", 0, {400, 600, 600, 400}, false, "Introduction to the Silk Road", ""},
    {"en_total_line", 0, {500, 500, 500}, false, "The origins of chess", ""},
    {"zh_reference", 0, {800, 1000, 1200, 600}, true, "介绍长城的历史背景", ""},
    {"zh_colon_variants", 0, {500, 800, 700, 600}, true, "介绍人工智能的定义", ""},
    {"zh_di_duan", 0, {600, 800, 800, 400}, true, "描写故乡的小河", ""},
    {"zh_chinese_numerals", 0, {1000, 800, 1200}, true, "宋代商业的繁荣", ""},
    {"zh_bold_bullets", 0, {500, 700, 800}, true, "介绍量子计算", ""},
    {"zh_missing_counts", 3000, {750, 750, 750, 750}, true, "介绍鲁迅的生平", "the 3000-word target shared evenly"},
    {"malformed_empty", 0, {}, false, "", ""},
    {"malformed_refusal", 0, {}, false, "", ""},
    {"malformed_prose", 0, {}, false, "", ""},
    {"malformed_too_many_steps", 0, {}, false, "", ""},
};

class PlanFixture : public ::testing::TestWithParam<Case> {};

TEST_P(PlanFixture, ParsesAsExpected) {
  const Case& c = GetParam();
  aw::PlanParse p = aw::parse_plan(fixture(c.name), c.target);
  if (c.words.empty()) {
    EXPECT_FALSE(p.ok()) << c.name;
    return;
  }
  ASSERT_TRUE(p.ok()) << c.name << ": " << p.rejection;
  std::vector<int64_t> got;
  for (const auto& s : p.plan.steps) got.push_back(s.words);
  EXPECT_EQ(got, c.words) << c.name;
  EXPECT_EQ(p.plan.chinese, c.chinese) << c.name;
  EXPECT_EQ(p.plan.steps.front().main_point.rfind(c.first_point_prefix, 0), 0u)
      << c.name << ": " << p.plan.steps.front().main_point;
  for (const auto& s : p.plan.steps) {
    EXPECT_FALSE(s.main_point.empty()) << c.name;
    // Labels, bullets, bold and the word count never leak into the main point.
    for (const char* bad : {"**", "Word Count", "字数要求", "Main Point:", "主要内容"})
      EXPECT_EQ(s.main_point.find(bad), std::string::npos) << c.name << ": " << s.main_point;
  }
  if (std::string(c.note).empty()) {
    for (const auto& n : p.plan.notes) EXPECT_EQ(n.find("numbering drift"), std::string::npos) << c.name << ": " << n;
  } else {
    bool found = false;
    for (const auto& n : p.plan.notes) found |= n.find(c.note) != std::string::npos;
    EXPECT_TRUE(found) << c.name << ": no note containing \"" << c.note << "\"";
  }
}

INSTANTIATE_TEST_SUITE_P(Plans, PlanFixture, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Plan, RejectionsSayWhy) {
  auto p = aw::parse_plan(fixture("malformed_too_many_steps"), 0);
  EXPECT_EQ(p.rejection, "60 steps is more than the limit of 50");
  aw::PlanLimits lim;
  lim.max_steps = 60;
  EXPECT_TRUE(aw::parse_plan(fixture("malformed_too_many_steps"), 0, lim).ok());
  EXPECT_EQ(aw::parse_plan("", 0).rejection, "no plan steps found");
}

TEST(Plan, TrimToTargetCutsAnOverrunningPlan) {
  std::string text;
  for (int i = 1; i <= 66; ++i) text += fmt::format("Paragraph {} - Main Point: x - Word Count: 300 words\n", i);
  EXPECT_FALSE(aw::parse_plan(text, 2000).ok());  // 66 steps > 50
  aw::PlanLimits lim;
  lim.trim_to_target = true;
  auto p = aw::parse_plan(text, 2000, lim);
  ASSERT_TRUE(p.ok()) << p.rejection;
  ASSERT_EQ(p.plan.steps.size(), 7u);  // 6 x 300 = 1800 < 2000 <= 2100
  EXPECT_EQ(p.plan.steps.back().words, 300);
  bool noted = false;
  for (const auto& n : p.plan.notes) noted |= n.find("trimmed to the first 7 of 66 steps") != std::string::npos;
  EXPECT_TRUE(noted);
  // Without a target, or when the plan fits, nothing is cut.
  EXPECT_EQ(aw::parse_plan(text, 0, lim).rejection, "66 steps is more than the limit of 50");
  EXPECT_EQ(aw::parse_plan(text, 30000, lim).rejection, "66 steps is more than the limit of 50");
}

TEST(Plan, MainPointContinuesOverWrappedLines) {
  auto p = aw::parse_plan(fixture("en_wrapped_main_point"), 0);
  ASSERT_TRUE(p.ok());
  EXPECT_NE(p.plan.steps[0].main_point.find("Lisbon, and the letter that arrives"), std::string::npos)
      << p.plan.steps[0].main_point;
}

TEST(Plan, MissingCountsWithoutTargetUseTheDefault) {
  auto p = aw::parse_plan(fixture("en_missing_counts_all"), 0);
  ASSERT_TRUE(p.ok());
  for (const auto& s : p.plan.steps) {
    EXPECT_EQ(s.words, 500);
    EXPECT_FALSE(s.words_given);
  }
  // With some counts given and no target, the missing ones get the mean of the given ones.
  auto q = aw::parse_plan(fixture("en_missing_counts_some"), 0);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q.plan.steps[1].words, 1000);
  EXPECT_TRUE(q.plan.steps[0].words_given);
  EXPECT_FALSE(q.plan.steps[1].words_given);
}

TEST(Plan, ZeroWordCountIsMissing) {
  auto p = aw::parse_plan("Paragraph 1 - Main Point: a - Word Count: 0 words\nParagraph 2 - Main Point: b - Word Count: 300 words", 0);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.plan.steps[0].words, 300);
  EXPECT_FALSE(p.plan.steps[0].words_given);
}

TEST(Plan, FormatsStepsInTheReferenceFormat) {
  auto p = aw::parse_plan(fixture("en_reference"), 0);
  ASSERT_TRUE(p.ok());
  std::string line = aw::format_step(p.plan, 2, 640);
  EXPECT_EQ(line.rfind("Paragraph 3 - Main Point: Tell the story of the Via Appia", 0), 0u) << line;
  EXPECT_NE(line.find("- Word Count: 640 words"), std::string::npos);
  auto z = aw::parse_plan(fixture("zh_reference"), 0);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(aw::format_step(z.plan, 0, 900), "段落1 - 主要内容：介绍长城的历史背景，包括春秋战国时期各国修筑的长城。 - 字数要求：900字");
  // A formatted plan parses back to the same steps.
  std::vector<int64_t> budgets = {1, 2, 3, 4, 5};
  for (auto& b : budgets) b *= 100;
  auto again = aw::parse_plan(aw::format_plan(p.plan, budgets), 0);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again.plan.steps.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(again.plan.steps[i].words, budgets[i]);
    EXPECT_EQ(again.plan.steps[i].main_point, p.plan.steps[i].main_point);
  }
}

}  // namespace
