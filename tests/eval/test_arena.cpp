// bench arena: the Bradley-Terry fit against a direct maximum-likelihood check (gradient zero at
// the solution, no perturbation improves the log-likelihood, the two-model closed form), seeded
// bootstrap reproducibility, battles from both orders (position bias cancels), the verdict parser
// and the resumable judging pipeline against a fake judge.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "eval/arena.hpp"
#include "eval/arena_judge.hpp"
#include "eval/bradley_terry.hpp"
#include "eval/fake_backend.hpp"
#include "eval/html_check.hpp"
#include "io/file.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw::eval;
using lw::io::Json;

// d/d(log p_i) of the log-likelihood: W_i - sum_j n_ij p_i / (p_i + p_j).
std::vector<double> gradient(const WinMatrix& w, const std::vector<double>& p) {
  std::vector<double> g(p.size(), 0.0);
  for (size_t i = 0; i < p.size(); ++i)
    for (size_t j = 0; j < p.size(); ++j)
      if (i != j) g[i] += w[i][j] - (w[i][j] + w[j][i]) * p[i] / (p[i] + p[j]);
  return g;
}

TEST(BradleyTerry, TwoModelsClosedForm) {
  WinMatrix w = {{0, 3}, {1, 0}};
  BtFit f = fit_bradley_terry(w);
  ASSERT_TRUE(f.converged);
  EXPECT_NEAR(f.strength[0] / f.strength[1], 3.0, 1e-9);
  EXPECT_NEAR(f.elo[0] - f.elo[1], 400 * std::log10(3.0), 1e-6);
  EXPECT_NEAR((f.elo[0] + f.elo[1]) / 2, 1000, 1e-9);
}

TEST(BradleyTerry, IsTheMaximumLikelihoodSolution) {
  std::mt19937_64 gen(7);
  for (int trial = 0; trial < 5; ++trial) {
    const size_t n = 3 + static_cast<size_t>(trial);
    WinMatrix w(n, std::vector<double>(n, 0.0));
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j)
        if (i != j) w[i][j] = 1 + static_cast<double>(gen() % 9) + 0.5 * static_cast<double>(gen() % 2);
    BtFit f = fit_bradley_terry(w);
    ASSERT_TRUE(f.converged);
    for (double g : gradient(w, f.strength)) EXPECT_NEAR(g, 0.0, 1e-7);
    double ll = bt_log_likelihood(w, f.strength);
    for (size_t i = 0; i < n; ++i)
      for (double eps : {-1e-3, 1e-3, -0.1, 0.1}) {
        auto q = f.strength;
        q[i] *= std::exp(eps);
        EXPECT_LE(bt_log_likelihood(w, q), ll + 1e-12)
            << "trial " << trial << " model " << i << " eps " << eps;
      }
    std::normal_distribution<double> nd(0, 0.05);
    for (int k = 0; k < 20; ++k) {
      auto q = f.strength;
      for (double& x : q) x *= std::exp(nd(gen));
      EXPECT_LE(bt_log_likelihood(w, q), ll + 1e-12);
    }
  }
}

TEST(BradleyTerry, PriorKeepsAWinlessModelFinite) {
  WinMatrix w = {{0, 5, 4}, {0, 0, 2}, {0, 1, 0}};  // model 0 never lost
  BtFit f = fit_bradley_terry(with_prior(w, 1));
  ASSERT_TRUE(f.converged);
  for (double e : f.elo) EXPECT_TRUE(std::isfinite(e));
  EXPECT_GT(f.elo[0], f.elo[1]);
  for (double g : gradient(with_prior(w, 1), f.strength)) EXPECT_NEAR(g, 0.0, 1e-7);
}

std::vector<Battle> some_battles() {
  std::vector<Battle> b;
  for (int i = 0; i < 30; ++i) {
    b.push_back({0, 1, i % 3 == 0 ? 0.0 : 1.0});
    b.push_back({1, 2, i % 4 == 0 ? 0.5 : 0.75});
    b.push_back({0, 2, i % 5 == 0 ? 0.25 : 1.0});
  }
  return b;
}

TEST(Arena, BootstrapIsReproducibleWithASeed) {
  auto b = some_battles();
  std::vector<double> lo1, hi1, lo2, hi2, lo3, hi3;
  bootstrap_intervals(b, 3, 200, 42, 1, &lo1, &hi1);
  bootstrap_intervals(b, 3, 200, 42, 1, &lo2, &hi2);
  bootstrap_intervals(b, 3, 200, 43, 1, &lo3, &hi3);
  EXPECT_EQ(lo1, lo2);
  EXPECT_EQ(hi1, hi2);
  EXPECT_NE(lo1, lo3);
  BtFit f = fit_bradley_terry(with_prior(battle_matrix(3, b), 1));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_LT(lo1[i], f.elo[i]);
    EXPECT_GT(hi1[i], f.elo[i]);
  }
}

lw::io::Record judgement(const std::string& first, const std::string& second, const std::string& prompt,
                         const std::string& winner) {
  lw::io::Record r;
  r.value = {{"first", first}, {"second", second}, {"prompt", prompt}, {"winner", winner}};
  r.path = "j.jsonl";
  return r;
}

TEST(Arena, BothOrdersCancelPositionBias) {
  std::vector<lw::io::Record> lines;
  for (int p = 0; p < 10; ++p) {
    lines.push_back(judgement("x", "y", fmt::format("p{}", p), "first"));  // always the first answer
    lines.push_back(judgement("y", "x", fmt::format("p{}", p), "first"));
  }
  ArenaResult r = analyze_arena({"x", "y"}, lines, 50, 1, 1);
  EXPECT_EQ(r.battles, 10);
  EXPECT_EQ(r.inconsistent, 10);
  EXPECT_EQ(r.ties[0], 10);
  EXPECT_NEAR(r.first_position, 1.0, 1e-12);
  EXPECT_NEAR(r.elo[0], 1000, 1e-6);
  EXPECT_NEAR(r.elo[1], 1000, 1e-6);
  EXPECT_NEAR(r.score[0][1], 0.5, 1e-12);
  // One order only: not a battle.
  lines.push_back(judgement("x", "y", "lonely", "first"));
  EXPECT_EQ(analyze_arena({"x", "y"}, lines, 0, 1, 1).unpaired, 1);
}

TEST(Arena, VerdictParser) {
  std::string err;
  EXPECT_EQ(parse_arena_verdict("B is better. {\"winner\": \"B\"}", &err), "B");
  EXPECT_EQ(parse_arena_verdict("```json\n{\"winner\": \"tie\"}\n```", &err), "tie");
  EXPECT_EQ(parse_arena_verdict("{\"winner\": \"a\"}", &err), "A");
  EXPECT_EQ(parse_arena_verdict("Verdict:\n[[C]]", &err), "tie");
  EXPECT_EQ(parse_arena_verdict("{\"winner\": \"both\"}", &err), "");
  EXPECT_NE(err.find("both"), std::string::npos);
  EXPECT_EQ(parse_arena_verdict("I cannot decide.", &err), "");
}

TEST(Arena, JudgesBothOrdersRanksAndResumes) {
  lw::set_progress_enabled(false);
  fs::path dir = fs::temp_directory_path() / fmt::format("lw_arena_{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Model m has quality m (responses "quality m"); 6 prompts; m2 lacks prompt 5.
  std::vector<ArenaModel> models;
  for (int m = 0; m < 3; ++m) {
    ArenaModel am;
    am.name = fmt::format("m{}", m);
    for (int p = 0; p < (m == 2 ? 5 : 6); ++p) {
      lw::io::Record r;
      r.value = {{"prompt", fmt::format("prompt {}", p)}, {"response", fmt::format("quality {}", m)}};
      am.preds.push_back(r);
    }
    models.push_back(am);
  }
  bool bad_first = true;
  lw::testing::FakeBackend judge([&](const lw::net::ChatRequest& req, int) {
    const std::string& u = req.messages.back().content;
    auto qa = u[u.find("=== ANSWER A ===\nquality ") + 25], qb = u[u.find("=== ANSWER B ===\nquality ") + 25];
    if (bad_first) {
      bad_first = false;
      return lw::testing::reply("no verdict here");
    }
    return lw::testing::reply(fmt::format("{{\"winner\": \"{}\"}}", qa > qb ? "A" : qa < qb ? "B" : "tie"));
  });
  ArenaJudgeOptions o;
  o.concurrency = 1;
  auto s = run_arena_judge(judge, models, dir / "j.jsonl", o);
  EXPECT_EQ(s.total, 6 * 5);  // 6 ordered pairs x 5 shared prompts
  EXPECT_EQ(s.completed, 30);
  EXPECT_EQ(s.retried, 1);
  EXPECT_EQ(judge.requests().size(), 31u);
  auto again = run_arena_judge(judge, models, dir / "j.jsonl", o);
  EXPECT_EQ(again.already_done, 30);
  EXPECT_EQ(judge.requests().size(), 31u);
  ArenaResult r = analyze_arena({"m0", "m1", "m2"}, lw::io::read_jsonl(dir / "j.jsonl"), 100, 3, 1);
  EXPECT_EQ(r.battles, 15);
  EXPECT_EQ(r.inconsistent, 0);
  EXPECT_GT(r.elo[2], r.elo[1]);
  EXPECT_GT(r.elo[1], r.elo[0]);
  EXPECT_NEAR(r.score[2][0], 1.0, 1e-12);
  EXPECT_EQ(r.wins[2], 10);
  EXPECT_EQ(r.losses[0], 10);
  write_arena_report(r, dir / "rep");
  EXPECT_EQ(lw::testing::check_html(lw::io::read_file(dir / "rep" / "arena.html")), "");
  Json j = Json::parse(lw::io::read_file(dir / "rep" / "arena.json"));
  EXPECT_EQ(j.at("models").at(0).at("name"), "m2");
  fs::remove_all(dir);
}

}  // namespace
