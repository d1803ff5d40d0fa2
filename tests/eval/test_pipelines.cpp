// predict and judge pipelines against an in-process fake backend: output fields, concurrency,
// resumability (skip finished, tolerate a torn tail, retry failures) and bounded judge retries.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "eval/judge.hpp"
#include "eval/judge_prompt.hpp"
#include "eval/pool.hpp"
#include "eval/predict.hpp"
#include "fake_backend.hpp"
#include "io/file.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw::eval;
using lw::io::Json;
using lw::testing::FakeBackend;
using lw::testing::reply;

class Pipelines : public ::testing::Test {
 protected:
  void SetUp() override {
    lw::set_progress_enabled(false);
    dir_ = fs::temp_directory_path() / fmt::format("lw_bench_pipe_{}_{}", ::getpid(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // n prompts "P0".."Pn-1" with type and length.
  fs::path write_prompts(int n) {
    std::string s;
    for (int i = 0; i < n; ++i)
      s += Json{{"prompt", fmt::format("P{}", i)}, {"type", i % 2 ? "Odd" : "Even"}, {"length", 100 * (i + 1)},
                {"extra", {{"id", i}}}}.dump() + "\n";
    fs::path p = dir_ / "data.jsonl";
    lw::io::write_file_atomic(p, s);
    return p;
  }
  fs::path dir_;
};

std::string words(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "w ";
  return s;
}

TEST(Pool, RunsEveryIndexOnceAndRethrows) {
  std::vector<std::atomic<int>> hits(100);
  parallel_for(100, 4, [&](size_t i) { ++hits[i]; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  EXPECT_THROW(parallel_for(10, 3, [](size_t i) {
                 if (i == 4) throw lw::Error("boom");
               }),
               lw::Error);
}

TEST_F(Pipelines, PredictKeepsFieldsAndAddsResponse) {
  auto prompts = load_prompts(write_prompts(6));
  FakeBackend be([](const lw::net::ChatRequest& req, int) {
    std::string p = req.messages.back().content;
    int n = std::stoi(p.substr(1));
    return reply(words(10 * (n + 1)), n == 5 ? "length" : "stop");
  });
  PredictOptions o;
  o.concurrency = 3;
  o.max_tokens = 1234;
  o.temperature = 0.25;
  auto sum = run_predict(be, prompts, dir_ / "pred.jsonl", o);
  EXPECT_EQ(sum.completed, 6);
  EXPECT_EQ(sum.truncated, 1);
  EXPECT_EQ(sum.failed, 0);
  auto out = lw::io::read_jsonl(dir_ / "pred.jsonl");
  ASSERT_EQ(out.size(), 6u);
  std::set<std::string> seen;
  for (const auto& r : out) {
    std::string p = r.get_string("prompt");
    int n = std::stoi(p.substr(1));
    seen.insert(p);
    EXPECT_EQ(r.get_int("length"), 100 * (n + 1));
    EXPECT_EQ(r.value.at("extra").at("id").get<int>(), n);
    EXPECT_EQ(r.get_string("type"), n % 2 ? "Odd" : "Even");
    EXPECT_EQ(r.get_int("response_length"), 10 * (n + 1));
    EXPECT_EQ(r.get_string("finish_reason"), n == 5 ? "length" : "stop");
  }
  EXPECT_EQ(seen.size(), 6u);
  for (const auto& req : be.requests()) {
    EXPECT_EQ(req.max_tokens, 1234);
    EXPECT_EQ(req.temperature, 0.25);
    ASSERT_EQ(req.messages.size(), 1u);
    EXPECT_EQ(req.messages[0].role, "user");
  }
}

TEST_F(Pipelines, PredictRunsRequestsConcurrently) {
  auto prompts = load_prompts(write_prompts(8));
  FakeBackend be([](const lw::net::ChatRequest&, int) { return reply("x"); }, /*delay_s=*/0.05);
  PredictOptions o;
  o.concurrency = 4;
  run_predict(be, prompts, dir_ / "pred.jsonl", o);
  EXPECT_GT(be.max_in_flight(), 1);
  EXPECT_LE(be.max_in_flight(), 4);
}

TEST_F(Pipelines, PredictResumesSkippingFinishedAndToleratingATornTail) {
  auto prompts = load_prompts(write_prompts(5));
  fs::path out = dir_ / "pred.jsonl";
  // A previous run finished P1 and P3, then was killed while writing a line.
  lw::io::write_file_atomic(
      out, Json{{"prompt", "P1"}, {"length", 200}, {"response", "old one"}, {"response_length", 2},
                {"finish_reason", "stop"}}.dump() + "\n" +
               Json{{"prompt", "P3"}, {"length", 400}, {"response", "old three"}, {"response_length", 2},
                    {"finish_reason", "stop"}}.dump() + "\n" + R"({"prompt": "P4", "length": 500, "resp)");
  FakeBackend be([](const lw::net::ChatRequest&, int) { return reply("new"); });
  auto sum = run_predict(be, prompts, out, PredictOptions{});
  EXPECT_EQ(sum.already_done, 2);
  EXPECT_EQ(sum.completed, 3);
  std::set<std::string> asked;
  for (const auto& r : be.requests()) asked.insert(r.messages.back().content);
  EXPECT_EQ(asked, (std::set<std::string>{"P0", "P2", "P4"}));
  auto lines = lw::io::read_jsonl(out);  // strict: the torn line is gone
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].get_string("response"), "old one");
  // A third run has nothing to do.
  FakeBackend idle([](const lw::net::ChatRequest&, int) -> lw::net::ChatResponse { throw lw::Error("unexpected"); });
  auto again = run_predict(idle, prompts, out, PredictOptions{});
  EXPECT_EQ(again.already_done, 5);
  EXPECT_TRUE(idle.requests().empty());
}

TEST_F(Pipelines, PredictFailuresAreNotWrittenAndRetriedByARerun) {
  auto prompts = load_prompts(write_prompts(4));
  fs::path out = dir_ / "pred.jsonl";
  FakeBackend flaky([](const lw::net::ChatRequest& req, int) {
    if (req.messages.back().content == "P2") throw lw::Error("HTTP 503 from server");
    return reply("fine");
  });
  auto sum = run_predict(flaky, prompts, out, PredictOptions{});
  EXPECT_EQ(sum.completed, 3);
  EXPECT_EQ(sum.failed, 1);
  ASSERT_EQ(sum.failures.size(), 1u);
  EXPECT_NE(sum.failures[0].find("HTTP 503"), std::string::npos);
  EXPECT_NE(sum.failures[0].find("data.jsonl:3"), std::string::npos);
  EXPECT_EQ(lw::io::read_jsonl(out).size(), 3u);
  FakeBackend ok([](const lw::net::ChatRequest&, int) { return reply("fine"); });
  auto sum2 = run_predict(ok, prompts, out, PredictOptions{});
  EXPECT_EQ(sum2.already_done, 3);
  EXPECT_EQ(sum2.completed, 1);
  EXPECT_EQ(lw::io::read_jsonl(out).size(), 4u);
}

TEST_F(Pipelines, PredictDuplicatePromptsAreMatchedByOccurrence) {
  lw::io::write_file_atomic(dir_ / "dup.jsonl", "{\"prompt\":\"same\",\"length\":10}\n{\"prompt\":\"same\",\"length\":10}\n");
  auto prompts = load_prompts(dir_ / "dup.jsonl");
  fs::path out = dir_ / "pred.jsonl";
  lw::io::write_file_atomic(out, "{\"prompt\":\"same\",\"length\":10,\"response\":\"a\"}\n");
  FakeBackend be([](const lw::net::ChatRequest&, int) { return reply("b"); });
  auto sum = run_predict(be, prompts, out, PredictOptions{});
  EXPECT_EQ(sum.already_done, 1);
  EXPECT_EQ(sum.completed, 1);
  EXPECT_EQ(lw::io::read_jsonl(out).size(), 2u);
}

TEST_F(Pipelines, LoadPromptsRejectsBadLines) {
  lw::io::write_file_atomic(dir_ / "bad.jsonl", "{\"prompt\":\"ok\",\"length\":10}\n{\"prompt\":\"x\",\"length\":-5}\n");
  try {
    load_prompts(dir_ / "bad.jsonl");
    FAIL();
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
  }
  lw::io::write_file_atomic(dir_ / "bad2.jsonl", "{\"length\":10}\n");
  EXPECT_THROW(load_prompts(dir_ / "bad2.jsonl"), lw::InputError);
}

const char* kValid =
    R"({"Analysis": "ok", "Relevance": 4, "Accuracy": 4, "Coherence": 5, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})";

fs::path write_preds(const fs::path& dir, int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += Json{{"prompt", fmt::format("P{}", i)}, {"length", 100}, {"response", fmt::format("R{}", i)},
              {"response_length", 1}, {"finish_reason", "stop"}}.dump() + "\n";
  fs::path p = dir / "pred.jsonl";
  lw::io::write_file_atomic(p, s);
  return p;
}

TEST_F(Pipelines, JudgeRetriesMalformedAnswersAndKeepsRawText) {
  auto preds = load_predictions(write_preds(dir_, 3));
  // P0: valid at once. P1: malformed, then fenced valid. P2: always a score of 6.
  std::map<std::string, int> calls;
  std::mutex mu;
  FakeBackend be([&](const lw::net::ChatRequest& req, int) {
    const std::string& u = req.messages.back().content;
    std::string which = u.find("R0") != std::string::npos ? "P0" : u.find("R1") != std::string::npos ? "P1" : "P2";
    int k;
    {
      std::lock_guard lk(mu);
      k = calls[which]++;
    }
    if (which == "P0") return reply(kValid);
    if (which == "P1") return reply(k == 0 ? "Relevance is high but I forgot the JSON." : std::string("```json\n") + kValid + "\n```");
    return reply(R"({"Relevance": 6, "Accuracy": 4, "Coherence": 5, "Clarity": 3, "Breadth and Depth": 2, "Reading Experience": 4})");
  });
  JudgeOptions o;
  o.max_attempts = 3;
  o.concurrency = 2;
  auto sum = run_judge(be, preds, dir_ / "judge.jsonl", o);
  EXPECT_EQ(sum.completed, 2);
  EXPECT_EQ(sum.retried, 1);
  EXPECT_EQ(sum.failed, 1);
  EXPECT_EQ(calls["P0"], 1);
  EXPECT_EQ(calls["P1"], 2);
  EXPECT_EQ(calls["P2"], 3);  // bounded
  auto lines = lw::io::read_jsonl(dir_ / "judge.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) {
    std::string p = l.get_string("prompt");
    EXPECT_EQ(l.get_string("response"), fmt::format("R{}", p.substr(1)));  // prediction fields kept
    if (p == "P2") {
      EXPECT_FALSE(is_judged(l.value));
      EXPECT_NE(l.get_string("judge_error").find("outside 1..5"), std::string::npos);
      EXPECT_EQ(l.value.at("judge_rejected").size(), 3u);
    } else {
      ASSERT_TRUE(is_judged(l.value));
      EXPECT_EQ(l.value.at("scores").at("Coherence").get<int>(), 5);
      EXPECT_NE(l.get_string("judge_raw").find("\"Analysis\""), std::string::npos);
      if (p == "P1") {
        EXPECT_EQ(l.get_int("judge_attempts"), 2);
        EXPECT_EQ(l.value.at("judge_rejected")[0].at("raw").get<std::string>(), "Relevance is high but I forgot the JSON.");
      }
    }
  }
  // A rerun asks again only for the failed one.
  FakeBackend fixed([](const lw::net::ChatRequest&, int) { return reply(kValid); });
  auto sum2 = run_judge(fixed, preds, dir_ / "judge.jsonl", o);
  EXPECT_EQ(sum2.already_done, 2);
  EXPECT_EQ(sum2.completed, 1);
  EXPECT_EQ(fixed.requests().size(), 1u);
}

TEST_F(Pipelines, JudgeUsesTheGivenTemplate) {
  auto preds = load_predictions(write_preds(dir_, 1));
  FakeBackend be([](const lw::net::ChatRequest&, int) { return reply(kValid); });
  JudgeOptions o;
  o.template_text = load_judge_template(lw::testing::data_file("reference-prompts/judge.txt"));
  run_judge(be, preds, dir_ / "judge.jsonl", o);
  ASSERT_EQ(be.requests().size(), 1u);
  const std::string& sent = be.requests()[0].messages.back().content;
  EXPECT_NE(sent.find("<User Request>\n\nP0\n\n</User Request>"), std::string::npos);
  EXPECT_NE(sent.find("<Response>\n\nR0\n\n</Response>"), std::string::npos);
}

TEST_F(Pipelines, JudgeNetworkFailureIsNotWritten) {
  auto preds = load_predictions(write_preds(dir_, 2));
  FakeBackend down([](const lw::net::ChatRequest&, int) -> lw::net::ChatResponse { throw lw::Error("connection refused"); });
  auto sum = run_judge(down, preds, dir_ / "judge.jsonl", JudgeOptions{});
  EXPECT_EQ(sum.failed, 2);
  EXPECT_EQ(down.requests().size(), 2u);  // the backend retries; the judge does not re-ask on network errors
  EXPECT_FALSE(fs::exists(dir_ / "judge.jsonl") && !lw::io::read_jsonl(dir_ / "judge.jsonl").empty());
}

TEST_F(Pipelines, JudgeRejudgesARegeneratedResponse) {
  fs::path pred = write_preds(dir_, 2);
  auto preds = load_predictions(pred);
  FakeBackend be([](const lw::net::ChatRequest&, int) { return reply(kValid); });
  run_judge(be, preds, dir_ / "judge.jsonl", JudgeOptions{});
  // P1's response changes: its old judgement no longer counts.
  std::string s = lw::io::read_file(pred);
  s.replace(s.find("\"R1\""), 4, "\"R1 regenerated\"");
  lw::io::write_file_atomic(pred, s);
  auto sum = run_judge(be, load_predictions(pred), dir_ / "judge.jsonl", JudgeOptions{});
  EXPECT_EQ(sum.already_done, 1);
  EXPECT_EQ(sum.completed, 1);
}

}  // namespace
