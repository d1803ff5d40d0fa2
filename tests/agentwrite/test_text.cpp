// Length requests, cleaning, prompts and budgets.
#include <gtest/gtest.h>

#include "agentwrite/clean.hpp"
#include "agentwrite/length_request.hpp"
#include "agentwrite/prompts.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "util/error.hpp"
#include "support/shared_data.hpp"

namespace {

namespace aw = lw::agentwrite;

TEST(LengthRequest, EnglishForms) {
  EXPECT_EQ(aw::explicit_target_words("Write a 5000-word essay on tea"), 5000);
  EXPECT_EQ(aw::explicit_target_words("Write an essay of 5,000 words"), 5000);
  EXPECT_EQ(aw::explicit_target_words("a story of at least 10k words"), 10000);
  EXPECT_EQ(aw::explicit_target_words("between 3000 and 5000 words"), 5000);  // "and" is not a range: the larger
  EXPECT_EQ(aw::explicit_target_words("3000-5000 words on Rome"), 4000);
  EXPECT_EQ(aw::explicit_target_words("5 to 10 thousand words"), 7500);
  EXPECT_EQ(aw::explicit_target_words("write ten thousand words about the sea"), 10000);
  EXPECT_EQ(aw::explicit_target_words("Write two thousand five hundred words"), 2500);
  EXPECT_EQ(aw::explicit_target_words("a 10,000+ word novel"), 10000);
  EXPECT_EQ(aw::explicit_target_words("Write about 3 cats"), 0);
  EXPECT_EQ(aw::explicit_target_words("someone wrote words"), 0);  // "one" inside a word is not a number
  EXPECT_EQ(aw::explicit_target_words("Write 10 paragraphs of 300 words each"), 0);
}

TEST(LengthRequest, ChineseForms) {
  EXPECT_EQ(aw::explicit_target_words("写一篇5000字的文章"), 5000);
  EXPECT_EQ(aw::explicit_target_words("写一篇一万字的小说"), 10000);
  EXPECT_EQ(aw::explicit_target_words("不少于两万字"), 20000);
  EXPECT_EQ(aw::explicit_target_words("写1.5万字的报告"), 15000);
  EXPECT_EQ(aw::explicit_target_words("三千五百字左右"), 3500);
  EXPECT_EQ(aw::explicit_target_words("5000 字以上"), 5000);
  EXPECT_EQ(aw::explicit_target_words("每段500字，共写十段"), 0);
  EXPECT_EQ(aw::explicit_target_words("26个字母"), 0);
  EXPECT_EQ(aw::parse_chinese_number(U"两千五百"), 2500);
  EXPECT_EQ(aw::parse_chinese_number(U"十二"), 12);
  EXPECT_EQ(aw::parse_chinese_number(U"3万"), 30000);
  EXPECT_EQ(aw::parse_chinese_number(U"abc"), -1);
}

// On LongBench-Write's own prompts, an explicit length we find agrees with the "length" field.
TEST(LengthRequest, AgreesWithLongBenchWrite) {
  auto recs = lw::io::read_jsonl(lw::testing::data_file("longbench/longbench_write.jsonl"));
  int found = 0, agree = 0;
  for (const auto& r : recs) {
    int64_t got = aw::explicit_target_words(r.get_string("prompt"));
    if (got == 0) continue;
    ++found;
    agree += got == r.get_int("length");
  }
  ASSERT_GT(found, 50);
  EXPECT_GE(agree * 10, found * 8) << agree << " of " << found;
}

TEST(Clean, StripsParagraphLabels) {
  EXPECT_EQ(aw::clean_paragraph("Paragraph 3: The roads ran straight."), "The roads ran straight.");
  EXPECT_EQ(aw::clean_paragraph("**Paragraph 3 -** The roads."), "The roads.");
  EXPECT_EQ(aw::clean_paragraph("**Paragraph 3:** The roads."), "The roads.");
  EXPECT_EQ(aw::clean_paragraph("## Paragraph 2\n\nText here."), "Text here.");
  EXPECT_EQ(aw::clean_paragraph("段落3：长城很长。"), "长城很长。");
  EXPECT_EQ(aw::clean_paragraph("第二段：内容。"), "内容。");
  EXPECT_EQ(aw::clean_paragraph(
                "Paragraph 2 - Main Point: Engineering - Word Count: 500 words\n\nThe engineers surveyed."),
            "The engineers surveyed.");
  // Not labels.
  EXPECT_EQ(aw::clean_paragraph("Paragraph 3 of the treaty says..."), "Paragraph 3 of the treaty says...");
  EXPECT_EQ(aw::clean_paragraph("第一，我们要注意。"), "第一，我们要注意。");
  EXPECT_EQ(aw::clean_paragraph("## The Via Appia\n\nText."), "## The Via Appia\n\nText.");
}

TEST(Clean, StripsInvisibleCharactersAndJoins) {
  EXPECT_EQ(aw::clean_paragraph("\xEF\xBB\xBFHe\xE2\x80\x8Bllo\xE2\x81\xA0 \n"), "Hello");
  EXPECT_EQ(aw::join_paragraphs({"Paragraph 1: A.", "  ", "B.\n"}), "A.\n\nB.");
}

TEST(Prompts, ReferenceTemplatesWork) {
  std::string dir = lw::testing::data_file("reference-prompts/");
  std::string plan = lw::io::read_file(dir + "plan.txt"), write = lw::io::read_file(dir + "write.txt");
  aw::validate_plan_template(plan, "plan.txt");
  aw::validate_write_template(write, "write.txt");
  std::string p = aw::render_plan_prompt(plan, "Write about $PLAN$ money");
  EXPECT_NE(p.find("Write about $PLAN$ money"), std::string::npos);
  EXPECT_EQ(p.find("$INST$"), std::string::npos);
  std::string w = aw::render_write_prompt(write, "INSTR", "PLANLINES", "SOFAR", "Paragraph 2 - X");
  for (const char* s : {"INSTR", "PLANLINES", "SOFAR", "continue writing Paragraph 2 - X"})
    EXPECT_NE(w.find(s), std::string::npos) << s;
  for (const char* s : {"$INST$", "$PLAN$", "$TEXT$", "$STEP$"}) EXPECT_EQ(w.find(s), std::string::npos) << s;
  EXPECT_THROW(aw::validate_write_template("no placeholder", "x.txt"), lw::InputError);
  EXPECT_THROW(aw::validate_plan_template("no placeholder", "x.txt"), lw::InputError);
  aw::validate_plan_template(aw::default_plan_template(), "default");
  aw::validate_write_template(aw::default_write_template(), "default");
}

TEST(Budgets, RescaleTheRemainingSteps) {
  aw::Plan plan;
  for (int i = 0; i < 4; ++i) plan.steps.push_back({"p", 500, true});
  // Nothing written yet and the target equals the plan: unchanged.
  EXPECT_EQ(aw::step_budgets(plan, {}, 2000), (std::vector<int64_t>{500, 500, 500, 500}));
  // The first paragraph overshot by 300: the other three share 1200.
  EXPECT_EQ(aw::step_budgets(plan, {800}, 2000), (std::vector<int64_t>{500, 400, 400, 400}));
  // Undershoot: the rest grow.
  EXPECT_EQ(aw::step_budgets(plan, {200, 200}, 2000), (std::vector<int64_t>{500, 500, 800, 800}));
  // The plan says 2000 but the instruction asks for 4000: everything doubles from the start.
  EXPECT_EQ(aw::step_budgets(plan, {}, 4000), (std::vector<int64_t>{1000, 1000, 1000, 1000}));
  // Clamped: a huge overshoot scales by 0.3, never to zero.
  EXPECT_EQ(aw::step_budgets(plan, {5000}, 2000), (std::vector<int64_t>{500, 150, 150, 150}));
  aw::BudgetOptions off;
  off.length_control = false;
  EXPECT_EQ(aw::step_budgets(plan, {800}, 2000, off), (std::vector<int64_t>{500, 500, 500, 500}));
}

}  // namespace
