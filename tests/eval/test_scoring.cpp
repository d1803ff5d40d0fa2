// Scoring parity: S_l, S_q and S on a 210-prediction fixture against values computed independently
// by tests/fixtures/bench/make_parity.py (Python 3 `re` word count + the paper's formulas).
#include <gtest/gtest.h>

#include <fstream>

#include "eval/scoring.hpp"
#include "io/file.hpp"
#include "util/error.hpp"

namespace {

using namespace lw::eval;
using lw::io::Json;

const std::string kDir = std::string(LW_TEST_DATA_DIR) + "/bench/";

Json expected() { return Json::parse(lw::io::read_file(kDir + "parity_expected.json")); }

void expect_group(const GroupStats& g, const Json& e) {
  SCOPED_TRACE(g.name);
  EXPECT_EQ(g.name, e.at("name").get<std::string>());
  ASSERT_EQ(g.n, e.at("n").get<int64_t>());
  ASSERT_TRUE(g.s_l.has_value());
  EXPECT_NEAR(*g.s_l, e.at("S_l").get<double>(), 1e-9);
  EXPECT_EQ(g.truncated, e.at("truncated").get<int64_t>());
  EXPECT_EQ(g.empty, e.at("empty").get<int64_t>());
  EXPECT_EQ(g.judged, e.at("judged").get<int64_t>());
  if (e.at("S_q").is_null()) {
    EXPECT_FALSE(g.s_q.has_value());
  } else {
    ASSERT_TRUE(g.s_q.has_value());
    EXPECT_NEAR(*g.s_q, e.at("S_q").get<double>(), 1e-9);
    EXPECT_NEAR(*g.s, e.at("S").get<double>(), 1e-9);
    for (int d = 0; d < kNumDimensions; ++d)
      EXPECT_NEAR(*g.dims[d], e.at("quality").at(std::string(kDimensions[d])).get<double>(), 1e-9);
  }
}

TEST(ScoringParity, MatchesIndependentPythonValues) {
  auto preds = lw::io::read_jsonl(kDir + "parity_pred.jsonl");
  auto judges = lw::io::read_jsonl(kDir + "parity_judge.jsonl");
  ASSERT_GE(preds.size(), 200u);
  Json e = expected();
  ScoreReport r = compute_scores(preds, &judges, nullptr);

  // Per item: produced words (count_words vs Python re) and S_l.
  ASSERT_EQ(r.items.size(), e.at("item_S_l").size());
  for (size_t i = 0; i < r.items.size(); ++i) {
    EXPECT_EQ(r.items[i].produced, e.at("item_produced")[i].get<int64_t>()) << r.items[i].where;
    EXPECT_NEAR(r.items[i].s_l, e.at("item_S_l")[i].get<double>(), 1e-9) << r.items[i].where;
  }
  expect_group(r.overall, e.at("overall"));
  ASSERT_EQ(r.buckets.size(), 4u);
  for (size_t b = 0; b < 4; ++b) expect_group(r.buckets[b], e.at("buckets")[b]);
  ASSERT_EQ(r.types.size(), e.at("types").size());
  for (size_t t = 0; t < r.types.size(); ++t) expect_group(r.types[t], e.at("types")[t]);
  EXPECT_EQ(static_cast<int64_t>(r.judge_failed.size()), e.at("judge_failed").get<int64_t>());
  EXPECT_EQ(static_cast<int64_t>(r.judge_missing.size()), e.at("judge_missing").get<int64_t>());
  EXPECT_EQ(r.judge_unmatched, 0);
}

TEST(ScoringParity, FixtureCoversTheEdges) {
  Json e = expected();
  int64_t empty = 0, thirty_k = 0;
  for (const auto& p : e.at("item_produced")) {
    empty += p.get<int64_t>() == 0;
    thirty_k += p.get<int64_t>() == 30000;
  }
  EXPECT_GT(empty, 0);
  EXPECT_GE(thirty_k, 2);
  for (const auto& b : e.at("buckets")) EXPECT_GT(b.at("n").get<int64_t>(), 20);
}

lw::io::Record rec(Json v, int line) {
  lw::io::Record r;
  r.value = std::move(v);
  r.path = "mem.jsonl";
  r.line = line;
  return r;
}

TEST(Scoring, BucketsAreHalfOpen) {
  EXPECT_EQ(bucket_index(0), 0);
  EXPECT_EQ(bucket_index(499), 0);
  EXPECT_EQ(bucket_index(500), 1);
  EXPECT_EQ(bucket_index(1999), 1);
  EXPECT_EQ(bucket_index(2000), 2);
  EXPECT_EQ(bucket_index(3999), 2);
  EXPECT_EQ(bucket_index(4000), 3);
  EXPECT_EQ(bucket_index(100000), 3);
}

TEST(Scoring, HandComputedSmallCase) {
  // 100 words asked, 100 given: 100. 100 asked, 200 given: 100*(1-1/3). 300 asked, 100 given: 100*(1-2/2)=0.
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "word ";
  std::vector<lw::io::Record> preds = {
      rec({{"prompt", "a"}, {"length", 100}, {"response", hundred}, {"type", "T1"}}, 1),
      rec({{"prompt", "b"}, {"length", 100}, {"response_length", 200}, {"type", "T1"}, {"finish_reason", "length"}}, 2),
      rec({{"prompt", "c"}, {"length", 300}, {"response", hundred}, {"type", "T2"}}, 3)};
  std::vector<lw::io::Record> judges = {
      rec({{"prompt", "a"}, {"response", hundred},
           {"scores", {{"Relevance", 5}, {"Accuracy", 5}, {"Coherence", 5}, {"Clarity", 5}, {"Breadth and Depth", 5},
                       {"Reading Experience", 5}}}}, 1),
      rec({{"prompt", "c"}, {"response", hundred},
           {"scores", {{"Relevance", 1}, {"Accuracy", 3}, {"Coherence", 3}, {"Clarity", 3}, {"Breadth and Depth", 3},
                       {"Reading Experience", 3}}}}, 2),
      rec({{"prompt", "b"}, {"judge_error", "no valid answer"}}, 3),
      rec({{"prompt", "zzz"}, {"response", "old"},
           {"scores", {{"Relevance", 1}, {"Accuracy", 1}, {"Coherence", 1}, {"Clarity", 1}, {"Breadth and Depth", 1},
                       {"Reading Experience", 1}}}}, 4)};
  std::vector<lw::io::Record> data = {rec({{"prompt", "a"}, {"length", 100}}, 1), rec({{"prompt", "b"}, {"length", 100}}, 2),
                                      rec({{"prompt", "c"}, {"length", 300}}, 3), rec({{"prompt", "d"}, {"length", 9}}, 4)};
  ScoreReport r = compute_scores(preds, &judges, &data);
  EXPECT_NEAR(*r.overall.s_l, (100.0 + 100.0 * (2.0 / 3.0) + 0.0) / 3.0, 1e-12);
  // Relevance: mean (5+1)/2 = 3 -> 50; others mean 4 -> 75. S_q = (50 + 5*75)/6.
  EXPECT_NEAR(*r.overall.dims[0], 50.0, 1e-12);
  EXPECT_NEAR(*r.overall.dims[1], 75.0, 1e-12);
  EXPECT_NEAR(*r.overall.s_q, (50.0 + 5 * 75.0) / 6.0, 1e-12);
  EXPECT_NEAR(*r.overall.s, (*r.overall.s_l + *r.overall.s_q) / 2, 1e-12);
  EXPECT_EQ(r.overall.truncated, 1);
  ASSERT_EQ(r.missing_predictions.size(), 1u);
  EXPECT_EQ(r.missing_predictions[0].prompt, "d");
  ASSERT_EQ(r.judge_failed.size(), 1u);
  EXPECT_EQ(r.judge_failed[0].prompt, "b");
  EXPECT_NE(r.judge_failed[0].reason.find("no valid answer"), std::string::npos);
  EXPECT_TRUE(r.judge_missing.empty());
  EXPECT_EQ(r.judge_unmatched, 1);
  ASSERT_EQ(r.types.size(), 2u);
  EXPECT_EQ(r.types[0].name, "T1");
  EXPECT_EQ(r.types[0].judged, 1);
  EXPECT_FALSE(r.buckets[2].s_l.has_value());  // no item in [2000, 4000)
}

TEST(Scoring, WithoutJudgeHasNoQuality) {
  std::vector<lw::io::Record> preds = {rec({{"prompt", "a"}, {"length", 100}, {"response", "one two"}}, 1)};
  ScoreReport r = compute_scores(preds, nullptr, nullptr);
  EXPECT_FALSE(r.has_judge);
  EXPECT_FALSE(r.overall.s_q.has_value());
  EXPECT_FALSE(r.overall.s.has_value());
  EXPECT_EQ(r.types[0].name, "(no type)");
}

TEST(Scoring, BadFieldsAreInputErrorsNamingTheLine) {
  auto check = [](Json v, const std::string& part) {
    std::vector<lw::io::Record> preds = {rec(std::move(v), 7)};
    try {
      compute_scores(preds, nullptr, nullptr);
      FAIL() << "expected InputError";
    } catch (const lw::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("mem.jsonl:7"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  check({{"prompt", "a"}, {"response", "x"}}, "\"length\"");
  check({{"prompt", "a"}, {"length", 0}, {"response", "x"}}, "\"length\"");
  check({{"prompt", "a"}, {"length", "100"}, {"response", "x"}}, "\"length\"");
  check({{"prompt", "a"}, {"length", 100}}, "\"response\"");
  check({{"length", 100}, {"response", "x"}}, "\"prompt\"");
}

}  // namespace
