// The pipeline against an in-process fake model: sequential and parallel writing, scheduling
// across instructions, exact resume, failure isolation, re-planning, length control.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "agentwrite/pipeline.hpp"
#include "fake_backend.hpp"
#include "text/words.hpp"
#include "util/error.hpp"

namespace {

namespace aw = lw::agentwrite;
namespace fs = std::filesystem;
using lw::testing::FakeBackend;

fs::path temp_db(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("lw_aw_pipe_" + std::to_string(::getpid()));
  fs::create_directories(d);
  fs::path p = d / (name + ".sqlite");
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(p.string() + s);
  return p;
}

std::vector<aw::WorkItem> items(int n, int words = 600) {
  std::vector<aw::WorkItem> v;
  for (int i = 0; i < n; ++i)
    v.push_back({fmt::format("Write a {}-word essay about topic {}", words, i), 0, {}});
  return v;
}

int count_plan_prompts(const std::vector<std::string>& prompts) {
  int n = 0;
  for (const auto& p : prompts) n += lw::testing::FakeModel::is_plan_prompt(p);
  return n;
}

TEST(Pipeline, SequentialWriteSeesTheTextSoFar) {
  FakeBackend b;
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.concurrency = 4;
  auto res = aw::run_pipeline(b, store, items(1, 900), cfg);
  ASSERT_EQ(res.size(), 1u);
  const auto& r = res[0];
  ASSERT_EQ(r.status, aw::ItemStatus::done) << r.reason;
  ASSERT_EQ(r.paragraphs.size(), 3u);
  EXPECT_EQ(r.response_length, 900);
  EXPECT_EQ(r.target_words, 900);
  EXPECT_EQ(r.response.find("Paragraph"), std::string::npos) << "labels are cleaned";
  EXPECT_EQ(r.paragraphs[0].rfind("**Paragraph 1:**", 0), 0u) << "write keeps the raw paragraphs";
  auto prompts = b.prompts();
  ASSERT_EQ(prompts.size(), 4u);
  EXPECT_EQ(count_plan_prompts(prompts), 1);
  // The third write prompt carries the first two paragraphs (cleaned) and the whole plan.
  const std::string& p3 = prompts[3];
  EXPECT_NE(p3.find("Topic0 part1:"), std::string::npos);
  EXPECT_NE(p3.find("Topic0 part2:"), std::string::npos);
  EXPECT_EQ(p3.find("**Paragraph 1:**"), std::string::npos);
  EXPECT_NE(p3.find("Now write the next part: Paragraph 3 - Main Point: part 3 of topic 0"),
            std::string::npos);
  EXPECT_NE(p3.find("Paragraph 1 - Main Point: part 1 of topic 0 - Word Count: 300 words"),
            std::string::npos);
  EXPECT_EQ(b.max_in_flight(), 1) << "one instruction in sequential mode: one request at a time";
}

TEST(Pipeline, ParallelWritesFromThePlanAlone) {
  FakeBackend b;
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.parallel = true;
  cfg.concurrency = 3;
  b.hook = [&](const std::string& p, const lw::net::ChatRequest&) {
    if (lw::testing::FakeModel::is_plan_prompt(p)) return;
    // Every paragraph request waits until all three are in flight (or 5 s pass).
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (b.in_flight() < 3 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  auto res = aw::run_pipeline(b, store, items(1, 900), cfg);
  ASSERT_EQ(res[0].status, aw::ItemStatus::done);
  EXPECT_EQ(res[0].response_length, 900);
  EXPECT_EQ(b.max_in_flight(), 3);
  for (const auto& p : b.prompts()) EXPECT_EQ(p.find("Topic0 part"), std::string::npos) << "no text so far";
}

TEST(Pipeline, KeepsNRequestsInFlightAcrossInstructions) {
  FakeBackend b;
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.concurrency = 6;
  std::vector<std::string> done_order;
  std::mutex mu;
  b.hook = [&](const std::string& p, const lw::net::ChatRequest&) {
    // Instruction 0 is slow; the others wait only until 6 requests are in flight at once, once.
    if (lw::testing::FakeModel::topic(p) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(150));
  };
  aw::Observer obs;
  obs.on_item_done = [&](size_t i, const aw::ItemResult&) {
    std::lock_guard lk(mu);
    done_order.push_back(std::to_string(i));
  };
  auto res = aw::run_pipeline(b, store, items(30), cfg, obs);
  for (const auto& r : res) EXPECT_EQ(r.status, aw::ItemStatus::done);
  ASSERT_EQ(done_order.size(), 30u);
  // The slow instruction does not hold the others up: all 29 finish while it is still writing.
  EXPECT_EQ(done_order.back(), "0");
  EXPECT_GE(b.max_in_flight(), 2);
  EXPECT_LE(b.max_in_flight(), 6);
}

TEST(Pipeline, ResumesWithoutRerequestingFinishedSteps) {
  auto db = temp_db("resume");
  aw::PipelineConfig cfg;
  cfg.concurrency = 4;
  cfg.step_retries = 0;
  // Reference: an uninterrupted run.
  FakeBackend ref;
  aw::Store ref_store(":memory:");
  auto expected = aw::run_pipeline(ref, ref_store, items(12), cfg);

  // First run: the "server" dies after 20 answers; everything after fails.
  std::set<std::string> answered;
  {
    FakeBackend b;
    std::atomic<int> calls{0};
    std::mutex mu;
    b.hook = [&](const std::string& p, const lw::net::ChatRequest&) {
      if (++calls > 20) throw lw::Error("connection refused");
      std::lock_guard lk(mu);
      answered.insert(p);
    };
    aw::Store store(db);
    auto res = aw::run_pipeline(b, store, items(12), cfg);
    int failed = 0;
    for (const auto& r : res) failed += r.status == aw::ItemStatus::failed;
    EXPECT_GT(failed, 0);
    EXPECT_EQ(answered.size(), 20u);
  }
  // Second run resumes.
  FakeBackend b2;
  aw::Store store2(db);
  aw::RunStats stats;
  auto res = aw::run_pipeline(b2, store2, items(12), cfg, {}, &stats);
  for (const auto& p : b2.prompts()) EXPECT_EQ(answered.count(p), 0u) << "re-requested a finished step";
  EXPECT_EQ(stats.reused_plans + stats.reused_paragraphs, 20);
  ASSERT_EQ(res.size(), expected.size());
  for (size_t i = 0; i < res.size(); ++i) {
    EXPECT_EQ(res[i].status, aw::ItemStatus::done);
    EXPECT_EQ(res[i].response, expected[i].response) << i;
    EXPECT_EQ(res[i].plan_text, expected[i].plan_text) << i;
  }
  EXPECT_GT(store2.failure_count(), 0) << "the first run's failures are on record";
}

TEST(Pipeline, AFailingStepFailsOnlyItsInstruction) {
  FakeBackend b;
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.concurrency = 4;
  cfg.step_retries = 1;
  int attempts = 0;
  std::mutex mu;
  b.hook = [&](const std::string& p, const lw::net::ChatRequest&) {
    int64_t w;
    if (lw::testing::FakeModel::topic(p) == 3 && lw::testing::FakeModel::step_of(p, w) == 2) {
      std::lock_guard lk(mu);
      ++attempts;
      throw lw::Error("HTTP 500: internal error");
    }
  };
  auto res = aw::run_pipeline(b, store, items(8), cfg);
  for (size_t i = 0; i < res.size(); ++i) {
    if (i == 3) {
      EXPECT_EQ(res[i].status, aw::ItemStatus::failed);
      EXPECT_EQ(res[i].reason, "paragraph 2 failed: HTTP 500: internal error");
    } else {
      EXPECT_EQ(res[i].status, aw::ItemStatus::done) << i;
    }
  }
  EXPECT_EQ(attempts, 2) << "one try plus one retry";
  EXPECT_EQ(store.failure_count(), 2);
}

TEST(Pipeline, RejectedPlansAreReplannedABoundedNumberOfTimes) {
  auto db = temp_db("replan");
  aw::PipelineConfig cfg;
  cfg.max_plan_attempts = 3;
  // Instruction 0: an empty plan first, a good one when asked again (seed 1).
  // Instruction 1: always a plan with 60 steps.
  FakeBackend b;
  b.answer = [](const std::string& p, const lw::net::ChatRequest& req) -> std::string {
    if (!lw::testing::FakeModel::is_plan_prompt(p)) return "";
    int t = lw::testing::FakeModel::topic(p);
    if (t == 0 && !req.seed) return "I cannot plan this.";
    if (t == 1) {
      std::string s;
      for (int i = 1; i <= 60; ++i)
        s += fmt::format("Paragraph {} - Main Point: x - Word Count: 10 words\n", i);
      return s;
    }
    return "";
  };
  {
    aw::Store store(db);
    auto res = aw::run_pipeline(b, store, items(2), cfg);
    EXPECT_EQ(res[0].status, aw::ItemStatus::done);
    EXPECT_EQ(res[1].status, aw::ItemStatus::dropped);
    EXPECT_EQ(res[1].reason, "plan rejected 3 times (last: 60 steps is more than the limit of 50)");
    EXPECT_EQ(count_plan_prompts(b.prompts()), 2 + 3);
  }
  // The attempts are remembered: a rerun asks for nothing.
  FakeBackend b2;
  b2.answer = b.answer;
  aw::Store store(db);
  auto res = aw::run_pipeline(b2, store, items(2), cfg);
  EXPECT_EQ(res[1].status, aw::ItemStatus::dropped);
  EXPECT_TRUE(b2.prompts().empty());
}

TEST(Pipeline, GivenPlanSkipsPlanning) {
  FakeBackend b;
  aw::Store store(":memory:");
  aw::WorkItem w{"Write about topic 5", 0,
                 std::string("Paragraph 1 - Main Point: a - Word Count: 50 words\nParagraph 2 - Main Point: "
                             "b - Word Count: 70 words")};
  auto res = aw::run_pipeline(b, store, {w}, {});
  EXPECT_EQ(res[0].status, aw::ItemStatus::done);
  EXPECT_EQ(res[0].response_length, 120);
  EXPECT_EQ(count_plan_prompts(b.prompts()), 0);
  aw::WorkItem bad{"x", 0, std::string("nothing")};
  EXPECT_THROW(aw::run_pipeline(b, store, {bad}, {}), lw::InputError);
}

TEST(Pipeline, ShortResultsAreDroppedWithAReason) {
  FakeBackend b;
  b.model.dev_lo = b.model.dev_hi = 0.3;
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.length_control = false;
  auto res = aw::run_pipeline(b, store, items(1, 1000), cfg);
  EXPECT_EQ(res[0].status, aw::ItemStatus::dropped);
  EXPECT_EQ(res[0].reason.rfind("too short: ", 0), 0u) << res[0].reason;
}

TEST(Pipeline, StreamsDeltasInOrder) {
  FakeBackend b;
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.stream = true;
  std::string streamed;
  aw::Observer obs;
  obs.on_delta = [&](size_t, int, std::string_view d) { streamed += d; };
  auto res = aw::run_pipeline(b, store, items(1, 300), cfg, obs);
  std::string raw;
  for (const auto& p : res[0].paragraphs) raw += p;
  EXPECT_EQ(streamed, raw);
}

// With a seed, request k of item i (k = 0 the plan, k = s + 1 paragraph s) asks for
// seed + 1000 i + k, whatever the scheduling order; without one, requests carry no seed.
std::map<std::string, int64_t> seeds_of_run(int concurrency, std::optional<int64_t> seed,
                                            std::vector<aw::ItemResult>* results = nullptr) {
  FakeBackend b;
  std::mutex mu;
  std::map<std::string, int64_t> seeds;
  b.hook = [&](const std::string& p, const lw::net::ChatRequest& req) {
    std::lock_guard<std::mutex> lock(mu);
    seeds[p] = req.seed.value_or(-1);
  };
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.concurrency = concurrency;
  cfg.seed = seed;
  auto res = aw::run_pipeline(b, store, items(3, 900), cfg);
  if (results) *results = res;
  return seeds;
}

TEST(Pipeline, SeedIsPerRequestAndIndependentOfScheduling) {
  std::vector<aw::ItemResult> res;
  auto one = seeds_of_run(1, 100, &res);
  auto four = seeds_of_run(4, 100);
  EXPECT_EQ(one, four);
  std::multiset<int64_t> got, want;
  for (const auto& [prompt, s] : one) got.insert(s);
  for (size_t i = 0; i < res.size(); ++i) {
    ASSERT_EQ(res[i].status, aw::ItemStatus::done) << res[i].reason;
    want.insert(100 + 1000 * static_cast<int64_t>(i));
    for (size_t k = 0; k < res[i].plan.steps.size(); ++k)
      want.insert(100 + 1000 * static_cast<int64_t>(i) + static_cast<int64_t>(k) + 1);
  }
  EXPECT_EQ(got, want);
  for (const auto& [prompt, s] : seeds_of_run(2, std::nullopt)) EXPECT_EQ(s, -1) << prompt;
}

struct LengthResult {
  double mean_abs_dev = 0, mean_sl = 0;
};

LengthResult measure(bool control) {
  FakeBackend b;
  b.model.steps = 8;
  b.model.dev_lo = 0.6;
  b.model.dev_hi = 1.5;
  b.model.label_paragraphs = false;
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.concurrency = 8;
  cfg.length_control = control;
  cfg.min_length_fraction = 0;
  auto res = aw::run_pipeline(b, store, items(100, 2000), cfg);
  LengthResult out;
  for (const auto& r : res) {
    EXPECT_EQ(r.status, aw::ItemStatus::done);
    out.mean_abs_dev += std::abs(static_cast<double>(r.response_length) / r.target_words - 1.0);
    out.mean_sl +=
        lw::text::length_score(static_cast<double>(r.target_words), static_cast<double>(r.response_length));
  }
  out.mean_abs_dev /= static_cast<double>(res.size());
  out.mean_sl /= static_cast<double>(res.size());
  return out;
}

// Paragraphs deviate from their budgets by a factor in 0.6..1.5; length control brings the
// totals closer to the target.
TEST(Pipeline, LengthControlBringsTotalsNearTheTarget) {
  LengthResult off = measure(false), on = measure(true);
  std::printf("[length control] 100 instructions x 8 steps, 2000-word target, paragraph factor 0.6..1.5\n");
  std::printf("[length control] off: mean |produced/target - 1| = %.4f, mean S_l = %.2f\n", off.mean_abs_dev,
              off.mean_sl);
  std::printf("[length control] on:  mean |produced/target - 1| = %.4f, mean S_l = %.2f\n", on.mean_abs_dev,
              on.mean_sl);
  EXPECT_LT(on.mean_abs_dev, off.mean_abs_dev * 0.7);
  EXPECT_GT(on.mean_sl, off.mean_sl);
}

}  // namespace
