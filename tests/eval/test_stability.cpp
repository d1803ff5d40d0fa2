// Length stability (bench predict --samples N, ruler --samples N): the per-prompt coefficient of
// variation, share within +-20% and S_l over samples, against figures worked out by hand and an
// independent computation (Welford's one-pass variance, the paper's length-score formula written
// out here); and the sampled, resumable predict pipeline.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "eval/fake_backend.hpp"
#include "eval/predict.hpp"
#include "eval/report.hpp"
#include "eval/ruler.hpp"
#include "eval/scoring.hpp"
#include "eval/stability.hpp"
#include "io/file.hpp"
#include "util/progress.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw::eval;
using lw::io::Json;

// The paper's length score, written out independently of lw::text::length_score.
double paper_sl(double r, double p) {
  if (p <= 0) return 0;
  return p > r ? 100 * std::max(0.0, 1 - (p / r - 1) / 3) : 100 * std::max(0.0, 1 - (r / p - 1) / 2);
}

TEST(Stability, FiguresWorkedOutByHand) {
  std::vector<LengthSample> s = {
      {"A", 100, 90}, {"B", 1000, 500}, {"A", 100, 100}, {"A", 100, 110}, {"B", 1000, 1000}};
  StabilityReport r = analyze_stability(s);
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_EQ(r.samples, 5);
  EXPECT_EQ(r.max_samples, 3);
  const auto& a = r.prompts[0];
  EXPECT_EQ(a.prompt, "A");
  EXPECT_NEAR(a.mean, 100, 1e-12);
  EXPECT_NEAR(a.sd, 10, 1e-12);  // sqrt((100 + 0 + 100) / 2)
  EXPECT_NEAR(*a.cv, 0.1, 1e-12);
  EXPECT_NEAR(a.within20, 1.0, 1e-12);
  // 90 < 100: 100 (1 - (100/90 - 1)/2) = 94.444...; 110 > 100: 100 (1 - 0.1/3) = 96.666...
  EXPECT_NEAR(a.s_l, (100 * (1 - (100.0 / 90 - 1) / 2) + 100 + 100 * (1 - 0.1 / 3)) / 3, 1e-9);
  const auto& b = r.prompts[1];
  EXPECT_NEAR(b.mean, 750, 1e-12);
  EXPECT_NEAR(b.sd, std::sqrt(2 * 250.0 * 250.0), 1e-9);
  EXPECT_NEAR(*b.cv, std::sqrt(2 * 250.0 * 250.0) / 750, 1e-12);
  EXPECT_NEAR(b.within20, 0.5, 1e-12);
  EXPECT_NEAR(b.s_l, 75, 1e-12);  // 500 of 1000: 50; 1000: 100
  EXPECT_NEAR(b.s_l_sd, std::sqrt(2 * 25.0 * 25.0), 1e-9);
  EXPECT_NEAR(*r.mean_cv, (0.1 + *b.cv) / 2, 1e-12);
  EXPECT_NEAR(r.within20, 4.0 / 5, 1e-12);
  EXPECT_NEAR(r.s_l, (3 * a.s_l + 2 * b.s_l) / 5, 1e-9);
  EXPECT_NEAR(r.mean_s_l_sd, (a.s_l_sd + b.s_l_sd) / 2, 1e-12);
}

TEST(Stability, MatchesAnIndependentComputation) {
  // 40 prompts x 1..6 samples, lengths from a fixed LCG (empty responses included).
  uint64_t x = 12345;
  auto next = [&] { return (x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
  std::vector<LengthSample> s;
  for (int round = 0; round < 6; ++round)
    for (int p = 0; p < 40; ++p) {
      if (round >= 1 + p % 6) continue;
      int64_t req = 100 * (1 + p % 9);
      int64_t prod = next() % 11 == 0 ? 0 : static_cast<int64_t>(next() % static_cast<uint64_t>(3 * req));
      s.push_back({fmt::format("prompt {}", p), req, prod});
    }
  StabilityReport r = analyze_stability(s);
  // Welford, per prompt.
  struct Acc {
    int64_t n = 0, req = 0, in = 0;
    double mean = 0, m2 = 0, sl_mean = 0, sl_m2 = 0;
  };
  std::map<std::string, Acc> acc;
  double sl_sum = 0;
  int64_t in_all = 0;
  for (const auto& q : s) {
    Acc& a = acc[q.prompt];
    a.req = q.required;
    ++a.n;
    double d = static_cast<double>(q.produced) - a.mean;
    a.mean += d / static_cast<double>(a.n);
    a.m2 += d * (static_cast<double>(q.produced) - a.mean);
    double sl = paper_sl(static_cast<double>(q.required), static_cast<double>(q.produced));
    double e = sl - a.sl_mean;
    a.sl_mean += e / static_cast<double>(a.n);
    a.sl_m2 += e * (sl - a.sl_mean);
    sl_sum += sl;
    bool in = std::abs(static_cast<double>(q.produced - q.required)) <= 0.2 * static_cast<double>(q.required);
    a.in += in;
    in_all += in;
  }
  ASSERT_EQ(r.prompts.size(), acc.size());
  double cv_sum = 0, sd_sum = 0;
  int cv_n = 0;
  for (const auto& row : r.prompts) {
    const Acc& a = acc.at(row.prompt);
    SCOPED_TRACE(row.prompt);
    EXPECT_EQ(row.n, a.n);
    EXPECT_NEAR(row.mean, a.mean, 1e-9);
    double sd = a.n > 1 ? std::sqrt(a.m2 / static_cast<double>(a.n - 1)) : 0;
    EXPECT_NEAR(row.sd, sd, 1e-9);
    if (a.n > 1 && a.mean > 0) {
      ASSERT_TRUE(row.cv);
      EXPECT_NEAR(*row.cv, sd / a.mean, 1e-9);
      cv_sum += sd / a.mean;
      ++cv_n;
    } else {
      EXPECT_FALSE(row.cv);
    }
    EXPECT_NEAR(row.within20, static_cast<double>(a.in) / static_cast<double>(a.n), 1e-12);
    EXPECT_NEAR(row.s_l, a.sl_mean, 1e-9);
    double sl_sd = a.n > 1 ? std::sqrt(a.sl_m2 / static_cast<double>(a.n - 1)) : 0;
    EXPECT_NEAR(row.s_l_sd, sl_sd, 1e-9);
    sd_sum += sl_sd;
  }
  EXPECT_NEAR(*r.mean_cv, cv_sum / cv_n, 1e-9);
  EXPECT_NEAR(r.within20, static_cast<double>(in_all) / static_cast<double>(s.size()), 1e-12);
  EXPECT_NEAR(r.s_l, sl_sum / static_cast<double>(s.size()), 1e-9);
  EXPECT_NEAR(r.mean_s_l_sd, sd_sum / static_cast<double>(acc.size()), 1e-9);
}

std::string words(int64_t n) {
  std::string s;
  for (int64_t i = 0; i < n; ++i) s += "w ";
  return s;
}

TEST(Stability, SampledPredictIsSeededAndResumablePerSample) {
  lw::set_progress_enabled(false);
  fs::path dir = fs::temp_directory_path() / fmt::format("lw_stab_{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string data;
  for (int i = 0; i < 3; ++i) data += Json{{"prompt", fmt::format("P{}", i)}, {"length", 100}}.dump() + "\n";
  lw::io::write_file_atomic(dir / "data.jsonl", data);
  auto prompts = load_prompts(dir / "data.jsonl");
  // Sample 0 of P1 was written by an earlier run without --samples (no "sample" field).
  lw::io::write_file_atomic(dir / "pred.jsonl",
                            Json{{"prompt", "P1"}, {"length", 100}, {"response", words(100)}}.dump() + "\n");
  lw::testing::FakeBackend backend([](const lw::net::ChatRequest& req, int) {
    return lw::testing::reply(words(80 + *req.seed % 7 * 10));
  });
  PredictOptions o;
  o.samples = 4;
  o.seed = 100;
  o.concurrency = 3;
  auto s = run_predict(backend, prompts, dir / "pred.jsonl", o);
  EXPECT_EQ(s.total, 12);
  EXPECT_EQ(s.already_done, 1);
  EXPECT_EQ(s.completed, 11);
  std::set<int64_t> seeds;
  for (const auto& r : backend.requests()) seeds.insert(*r.seed);
  std::set<int64_t> expected;
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 4; ++k)
      if (!(i == 1 && k == 0)) expected.insert(100 + i * 4 + k);
  EXPECT_EQ(seeds, expected);
  auto lines = lw::io::read_jsonl(dir / "pred.jsonl");
  std::set<std::pair<std::string, int64_t>> pairs;
  for (const auto& l : lines) pairs.insert({l.get_string("prompt"), l.get_int_or("sample", 0)});
  EXPECT_EQ(pairs.size(), 12u);
  // A rerun has nothing to do.
  auto again = run_predict(backend, prompts, dir / "pred.jsonl", o);
  EXPECT_EQ(again.already_done, 12);
  EXPECT_EQ(backend.requests().size(), 11u);

  // bench score and ruler report the stability of these samples.
  ScoreReport rep = compute_scores(lines, nullptr, nullptr);
  ASSERT_TRUE(rep.stability);
  EXPECT_EQ(rep.stability->max_samples, 4);
  std::vector<LengthSample> ls;
  for (const auto& l : lines)
    ls.push_back({l.get_string("prompt"), 100, static_cast<int64_t>(l.get_string("response").size() / 2)});
  StabilityReport direct = analyze_stability(ls);
  EXPECT_NEAR(*rep.stability->mean_cv, *direct.mean_cv, 1e-12);
  EXPECT_NE(report_markdown(rep).find("## Length stability (up to 4 samples per prompt)"), std::string::npos);
  EXPECT_TRUE(report_to_json(rep).contains("stability"));
  RulerReport ruler = analyze_ruler(lines);
  ASSERT_TRUE(ruler.stability);
  EXPECT_NE(ruler_markdown(ruler).find("Length stability"), std::string::npos);
  // One sample per prompt: no stability section.
  std::vector<lw::io::Record> single(lines.begin(), lines.begin() + 1);
  EXPECT_FALSE(compute_scores(single, nullptr, nullptr).stability);
  fs::remove_all(dir);
}

}  // namespace
