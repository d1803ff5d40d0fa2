#include <gtest/gtest.h>

#include <fmt/format.h>

#include "eval/judge_parse.hpp"
#include "eval/judge_prompt.hpp"
#include "util/error.hpp"
#include "support/shared_data.hpp"

namespace {

using namespace lw::eval;

TEST(JudgePrompt, FillsBothPlaceholdersOnce) {
  std::string out = fill_judge_template("Q: $INST$\nA: $RESPONSE$\nCost: $5", "write $RESPONSE$", "it says $INST$");
  EXPECT_EQ(out, "Q: write $RESPONSE$\nA: it says $INST$\nCost: $5");
}

TEST(JudgePrompt, DefaultTemplateNamesEveryDimension) {
  const std::string& t = default_judge_template();
  validate_judge_template(t, "default");
  for (auto d : kDimensions) EXPECT_NE(t.find(fmt::format("\"{}\"", d)), std::string::npos) << d;
}

TEST(JudgePrompt, ReferenceTemplateIsCompatible) {
  std::string t = load_judge_template(lw::testing::data_file("reference-prompts/judge.txt"));
  std::string filled = fill_judge_template(t, "Write a haiku about rain", "Rain on the tin roof");
  EXPECT_NE(filled.find("Write a haiku about rain"), std::string::npos);
  EXPECT_NE(filled.find("Rain on the tin roof"), std::string::npos);
  EXPECT_EQ(filled.find("$INST$"), std::string::npos);
  EXPECT_EQ(filled.find("$RESPONSE$"), std::string::npos);
}

TEST(JudgePrompt, TemplateWithoutPlaceholderIsInputError) {
  EXPECT_THROW(validate_judge_template("Judge this: $INST$", "t.txt"), lw::InputError);
  try {
    validate_judge_template("Judge: $RESPONSE$", "t.txt");
    FAIL();
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t.txt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("$INST$"), std::string::npos);
  }
}

}  // namespace
