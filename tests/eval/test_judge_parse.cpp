// Judge-answer parsing: realistic malformed outputs are either parsed to the right scores or
// rejected (so the pipeline asks again), never misread.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "eval/judge_parse.hpp"

namespace {

using lw::eval::parse_judge_output;
using Scores = std::array<int, 6>;

const char* kGood =
    R"({"Analysis": "Clear and well organised.", "Relevance": 4, "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})";
const Scores kGoodScores = {4, 5, 4, 3, 2, 4};

void expect_ok(const std::string& text, const Scores& want, const std::string& method = "json") {
  auto r = parse_judge_output(text);
  ASSERT_TRUE(r.ok) << r.error << "\n--- input ---\n" << text;
  EXPECT_EQ(r.scores, want) << text;
  EXPECT_EQ(r.method, method);
}

void expect_rejected(const std::string& text, const std::string& error_part) {
  auto r = parse_judge_output(text);
  EXPECT_FALSE(r.ok) << text;
  EXPECT_NE(r.error.find(error_part), std::string::npos) << "error: " << r.error << "\n--- input ---\n" << text;
}

TEST(JudgeParse, BareJson) {
  expect_ok(kGood, kGoodScores);
  EXPECT_EQ(parse_judge_output(kGood).analysis, "Clear and well organised.");
}

TEST(JudgeParse, FencedJson) {
  expect_ok(std::string("Here is my evaluation:\n```json\n") + kGood + "\n```\n", kGoodScores);
  expect_ok(std::string("```\n") + kGood + "\n```", kGoodScores);
}

TEST(JudgeParse, ProseBeforeAndAfter) {
  expect_ok(std::string("The response addresses the request but lacks depth.\n\n") + kGood +
                "\n\nOverall, a solid but unremarkable answer. Let me know if you need more detail!",
            kGoodScores);
}

TEST(JudgeParse, StringScoresAccepted) {
  expect_ok(R"({"Relevance": "4", "Accuracy": "5", "Coherence": " 4 ", "Clarity": "3/5", "Breadth and Depth": "2 out of 5", "Reading Experience": "4."})",
            kGoodScores);
  expect_ok(R"({"Relevance": 4.0, "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})",
            kGoodScores);
}

TEST(JudgeParse, OutOfRangeRejected) {
  expect_rejected(R"({"Relevance": 0, "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})",
                  "outside 1..5");
  expect_rejected(R"({"Relevance": 4, "Accuracy": 6, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})",
                  "\"Accuracy\": 6 is outside 1..5");
  expect_rejected(R"({"Relevance": 8, "Accuracy": 9, "Coherence": 7, "Clarity": 8, "Breadth and Depth": 6, "Reading Experience": 10})",
                  "outside 1..5");  // a 1..10 scale
  expect_rejected(R"({"Relevance": "6", "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})",
                  "outside 1..5");
}

TEST(JudgeParse, NonIntegerRejected) {
  expect_rejected(R"({"Relevance": 3.5, "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})",
                  "not an integer");
  expect_rejected(R"({"Relevance": "good", "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})",
                  "not an integer score");
  expect_rejected(R"({"Relevance": null, "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})",
                  "expected an integer 1..5");
}

TEST(JudgeParse, MissingDimensionRejected) {
  expect_rejected(R"({"Analysis": "ok", "Relevance": 4, "Accuracy": 5, "Coherence": 4, "Breadth and Depth": 2, "Reading Experience": 4})",
                  "missing dimension(s) \"Clarity\"");
}

TEST(JudgeParse, ChineseProseAroundJson) {
  expect_ok(
      fmt::format("分析：这篇文章结构清晰，但内容深度不足，部分事实需要核实。\n\n评分如下：\n{}\n以上是我的评价，仅供参考。", kGood),
      kGoodScores);
  // Chinese analysis inside the object, with braces and quotes in the string.
  expect_ok(
      R"({"Analysis": "文章提到了“{主题}”，但不够深入。", "Relevance": 4, "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})",
      kGoodScores);
}

TEST(JudgeParse, FullWidthPunctuationRepaired) {
  expect_ok("评分：{\"Relevance\"：4，\"Accuracy\"：5，\"Coherence\"：4，\"Clarity\"：3，\"Breadth and Depth\"：2，"
            "\"Reading Experience\"：4}",
            kGoodScores);
}

TEST(JudgeParse, TwoObjectsFormatEchoThenAnswer) {
  // The judge repeats the requested format (not valid JSON), then answers.
  expect_ok(std::string("The required format is {\"Analysis\": ..., \"Relevance\": ..., \"Accuracy\": ...}.\n"
                        "My answer:\n") +
                kGood,
            kGoodScores);
  // A first object without scores (analysis only), then the scores.
  expect_ok(std::string(R"({"Analysis": "Decent."})") + "\n" + kGood, kGoodScores);
  // The same object twice (e.g. a draft and the final) agrees.
  expect_ok(std::string(kGood) + "\nFinal:\n" + kGood, kGoodScores);
}

TEST(JudgeParse, TwoObjectsThatDisagreeRejected) {
  expect_rejected(
      std::string(kGood) + "\nOn reflection:\n" +
          R"({"Relevance": 3, "Accuracy": 3, "Coherence": 3, "Clarity": 3, "Breadth and Depth": 3, "Reading Experience": 3})",
      "different scores");
}

TEST(JudgeParse, TrailingCommaAndSingleQuotesRepaired) {
  expect_ok(R"({"Relevance": 4, "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4,})",
            kGoodScores);
  expect_ok(R"({'Relevance': 4, 'Accuracy': 5, 'Coherence': 4, 'Clarity': 3, 'Breadth and Depth': 2, 'Reading Experience': 4})",
            kGoodScores);
}

TEST(JudgeParse, MultilineStringRepaired) {
  expect_ok("{\"Analysis\": \"Line one.\nLine two.\", \"Relevance\": 4, \"Accuracy\": 5, \"Coherence\": 4, "
            "\"Clarity\": 3, \"Breadth and Depth\": 2, \"Reading Experience\": 4}",
            kGoodScores);
}

TEST(JudgeParse, KeyVariantsAndNesting) {
  expect_ok(R"({"relevance": 4, "ACCURACY": 5, "coherence": 4, "clarity": 3, "breadth_and_depth": 2, "reading experience": 4})",
            kGoodScores);
  expect_ok(R"({"Analysis": "x", "scores": {"Relevance": 4, "Accuracy": 5, "Coherence": 4, "Clarity": 3, "Breadth & Depth": 2, "Reading Experience": 4}})",
            kGoodScores);
  expect_ok(R"({"Relevance": {"score": 4, "reason": "on topic"}, "Accuracy": {"score": 5}, "Coherence": 4, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})",
            kGoodScores);
}

TEST(JudgeParse, TruncatedJsonRejected) {
  expect_rejected(R"({"Analysis": "The response is good", "Relevance": 4, "Accuracy": 5, "Coherence": 4, "Cla)",
                  "no complete JSON object");
}

TEST(JudgeParse, EmptyOrRefusalRejected) {
  expect_rejected("", "empty answer");
  expect_rejected("   \n ", "empty answer");
  expect_rejected("I'm sorry, but I can't evaluate this response.", "no JSON object");
}

TEST(JudgeParse, PlainTextScoresAsLastResort) {
  expect_ok("Analysis: fine.\n**Relevance**: 4\n**Accuracy**: 5/5\n**Coherence**: 4\n**Clarity**: 3\n"
            "**Breadth and Depth**: 2\n**Reading Experience**: 4\n",
            kGoodScores, "text");
  expect_rejected("Relevance: 4\nAccuracy: 5\nCoherence: 4\nClarity: 3\nReading Experience: 4\n", "no JSON object");
  expect_rejected("Relevance: 4.5\nAccuracy: 5\nCoherence: 4\nClarity: 3\nBreadth and Depth: 2\nReading Experience: 4\n",
                  "fractional");
}

TEST(JudgeParse, KeyNormalization) {
  EXPECT_EQ(lw::eval::normalize_dimension_key("Breadth and Depth"), "breadthanddepth");
  EXPECT_EQ(lw::eval::normalize_dimension_key("breadth_&_depth"), "breadthanddepth");
  EXPECT_EQ(lw::eval::dimension_index("Reading_Experience"), 5);
  EXPECT_EQ(lw::eval::dimension_index("Analysis"), -1);
}

}  // namespace
