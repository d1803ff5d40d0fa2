// The pieces of `demo --with-dpo` that decide what a pair is: the repetition rate and the scripted
// judge (its answer parsed as `bench judge` parses, preferring within-budget, non-repeating text).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "agentwrite/pairs.hpp"
#include "demo/dpo_stage.hpp"
#include "eval/judge_parse.hpp"
#include "eval/judge_prompt.hpp"

namespace {

using lw::demo::repetition_rate;

TEST(DemoDpo, RepetitionRateCountsRepeatedFourGrams) {
  EXPECT_EQ(repetition_rate("one two three"), 0.0);
  EXPECT_EQ(repetition_rate("the map follows the valley along the hill."), 0.0);
  // "a b c d a b c d": 5 four-grams, the last one repeats the first.
  EXPECT_DOUBLE_EQ(repetition_rate("a b c d a b c d"), 0.2);
  EXPECT_DOUBLE_EQ(repetition_rate("A, b. C d! a b c D"), 0.2) << "case and punctuation are ignored";
  EXPECT_DOUBLE_EQ(repetition_rate("x y z w x y z w x y z w x y z w"), 9.0 / 13.0);
}

double mean_score(const std::string& step, int64_t words, const std::string& text) {
  const std::string prompt = lw::eval::fill_placeholders(
      lw::demo::demo_step_judge_template(),
      {{"$STEP$", step}, {"$WORDS$", std::to_string(words)}, {"$RESPONSE$", text}});
  auto p = lw::eval::parse_judge_output(lw::demo::scripted_judge_answer(prompt));
  EXPECT_TRUE(p.ok) << p.error;
  double s = 0;
  for (int v : p.scores) s += v;
  return s / lw::eval::kNumDimensions;
}

TEST(DemoDpo, TheScriptedJudgePrefersWithinBudgetAndNoRepetition) {
  const std::string step = "Paragraph 2 - Main Point: castles - Word Count: 100 words";
  std::string fresh, looped;
  for (int i = 0; i < 100; ++i) fresh += fmt::format("w{}x ", i);
  for (int i = 0; i < 25; ++i) looped += "the tower stands tall ";
  EXPECT_DOUBLE_EQ(mean_score(step, 100, fresh), 5.0);
  EXPECT_LT(mean_score(step, 200, fresh), 5.0) << "twice the budget";
  EXPECT_LT(mean_score(step, 100, looped), 4.0) << "a loop";
  EXPECT_LT(mean_score(step, 20, fresh), mean_score(step, 90, fresh));
}

}  // namespace
