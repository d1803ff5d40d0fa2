// agentwrite pairs against the deterministic fake writer and judge (fake_pairs.hpp): pairs are the
// best and worst of K candidates sharing the writer's exact prompt, identical at any concurrency,
// resumable after a crash (in process) and after kill -9 (the CLI against the fake OpenAI server)
// without asking a finished request again.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "agentwrite/pairs.hpp"
#include "cli/cli_helpers.hpp"
#include "fake_backend.hpp"
#include "fake_pairs.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "spawn.hpp"
#include "support/fake_openai.hpp"
#include "util/error.hpp"

namespace {

namespace aw = lw::agentwrite;
namespace fs = std::filesystem;
using lw::testing::FakeBackend;
using lw::testing::FakeModel;
using lw::testing::spawn_longwriter;

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("lw_aw_pairs_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<aw::PairsItem> items(int n) {
  std::vector<aw::PairsItem> v;
  for (int i = 0; i < n; ++i) v.push_back({fmt::format("Write a 900-word essay about topic {}", i), 0});
  return v;
}

// A FakeBackend answering with pairs_answer and logging (prompt, seed) of every request.
struct PairsBackend : FakeBackend {
  std::mutex mu;
  std::multiset<std::pair<std::string, int64_t>> asked;
  std::atomic<int> fail_after{-1};  // >= 0: requests after this many throw (a crash)
  std::atomic<int> n{0};
  PairsBackend() {
    answer = [this](const std::string& prompt, const lw::net::ChatRequest& req) {
      if (fail_after >= 0 && n++ >= fail_after) throw lw::Error("connection reset");
      std::lock_guard lk(mu);
      asked.insert({prompt, req.seed.value_or(-1)});
      return lw::testing::pairs_answer(prompt, req.seed);
    };
  }
};

aw::PairsConfig config(int concurrency, bool whole = false) {
  aw::PairsConfig c;
  c.candidates = 3;
  c.min_margin = 0.5;
  c.concurrency = concurrency;
  c.seed = 7;
  c.whole = whole;
  c.step_retries = 0;
  return c;
}

std::string dump(const std::vector<nlohmann::json>& pairs) {
  std::string s;
  for (const auto& p : pairs) s += p.dump() + "\n";
  return s;
}

TEST(Pairs, BestAndWorstOfTheCandidatesShareTheWritersPrompt) {
  PairsBackend b;
  aw::Store store(":memory:");
  aw::PairsStats stats;
  auto res = aw::run_pairs(b, b, store, items(2), config(4), &stats);
  ASSERT_TRUE(res.failures.empty());
  // Per instruction: 1 plan + 3 steps x (3 candidates + 3 judges).
  EXPECT_EQ(stats.requests, 2 * (1 + 3 * 6));
  EXPECT_EQ(static_cast<int64_t>(b.asked.size()), stats.requests);
  ASSERT_GT(res.pairs.size(), 2u);
  EXPECT_EQ(stats.step_pairs + stats.skipped_steps, 6);
  std::map<int64_t, std::string> prompt_of_seed;  // writer requests by seed
  for (const auto& [p, s] : b.asked)
    if (!lw::testing::is_step_judge_prompt(p)) prompt_of_seed[s] = p;
  for (const auto& p : res.pairs) {
    ASSERT_EQ(p["type"], "step");
    const int n = p["instruction"].get<int>() - 1, step = p["step"].get<int>();
    const int64_t base = 7 + 1000000 * n + 1000 * step;
    // The prefix is byte for byte what the writer was sent for both candidates.
    ASSERT_EQ(p["prefix"].size(), 1u);
    EXPECT_EQ(p["prefix"][0]["role"], "user");
    const std::string prefix = p["prefix"][0]["content"];
    EXPECT_EQ(prefix, prompt_of_seed.at(base + p["chosen_candidate"].get<int>()));
    EXPECT_EQ(prefix, prompt_of_seed.at(base + p["rejected_candidate"].get<int>()));
    int64_t w = 0;
    EXPECT_EQ(FakeModel::step_of(prefix, w), step);
    EXPECT_GE(p["chosen_score"].get<double>() - p["rejected_score"].get<double>(), 0.5);
    EXPECT_EQ(p["margin"].get<double>(), p["chosen_score"].get<double>() - p["rejected_score"].get<double>());
    EXPECT_EQ(p["chosen_scores"].size(), 6u);
    EXPECT_NE(p["chosen_reason"].get<std::string>().find("words for a budget of"), std::string::npos);
    // The fake judge prefers the length closest to the budget.
    const int64_t budget = p["budget"];
    EXPECT_LE(std::abs(p["chosen_words"].get<int64_t>() - budget),
              std::abs(p["rejected_words"].get<int64_t>() - budget));
    // The text goes on with the chosen continuation: the next step's prompt holds it.
    if (step < 3) {
      const std::string next = prompt_of_seed.at(base + 1000);
      EXPECT_NE(next.find(p["chosen"].get<std::string>()), std::string::npos);
      EXPECT_EQ(next.find(p["rejected"].get<std::string>()), std::string::npos);
    }
  }
  auto trl = aw::trl_dpo_line(res.pairs[0]);
  EXPECT_EQ(trl["prompt"], res.pairs[0]["prefix"]);
  EXPECT_EQ(trl["chosen"][0]["role"], "assistant");
  EXPECT_EQ(trl["chosen"][0]["content"], res.pairs[0]["chosen"]);
  EXPECT_EQ(trl["rejected"][0]["content"], res.pairs[0]["rejected"]);
}

TEST(Pairs, IdenticalAtAnyConcurrency) {
  std::string first;
  for (int conc : {1, 8}) {
    PairsBackend b;
    aw::Store store(":memory:");
    auto res = aw::run_pairs(b, b, store, items(4), config(conc, true));
    ASSERT_TRUE(res.failures.empty());
    if (first.empty())
      first = dump(res.pairs);
    else
      EXPECT_EQ(dump(res.pairs), first) << "concurrency " << conc;
  }
  EXPECT_NE(first.find("\"type\":\"whole\""), std::string::npos);
}

TEST(Pairs, WholePairsTheDraftAgainstItsRevision) {
  PairsBackend b;
  aw::Store store(":memory:");
  auto res = aw::run_pairs(b, b, store, items(1), config(2, true));
  ASSERT_FALSE(res.pairs.empty());
  const auto& w = res.pairs.back();
  ASSERT_EQ(w["type"], "whole");
  EXPECT_EQ(w["prefix"][0]["content"], "Write a 900-word essay about topic 0");
  EXPECT_EQ(w["chosen"].get<std::string>().rfind("Rev0 part0:", 0), 0u) << "the judge prefers the revision";
  EXPECT_NE(w["rejected"].get<std::string>().find("Topic0 part1:"), std::string::npos);
  EXPECT_EQ(w["critique"], "Critique0.0: tighten it to 900 words.");
}

TEST(Pairs, ResumeAfterACrashAsksNoFinishedRequestAgain) {
  auto dir = temp_dir("crash");
  std::multiset<std::pair<std::string, int64_t>> first;
  {
    PairsBackend b;
    b.fail_after = 25;
    aw::Store store(dir / "c.sqlite");
    auto res = aw::run_pairs(b, b, store, items(3), config(3, true));
    EXPECT_FALSE(res.failures.empty());
    first = b.asked;
  }
  PairsBackend b2;
  aw::Store store(dir / "c.sqlite");
  aw::PairsStats stats;
  auto res = aw::run_pairs(b2, b2, store, items(3), config(5, true), &stats);
  ASSERT_TRUE(res.failures.empty());
  EXPECT_EQ(stats.reused, 25);
  for (const auto& q : b2.asked) EXPECT_EQ(first.count(q), 0u) << "asked again: seed " << q.second;
  PairsBackend b3;
  aw::Store mem(":memory:");
  auto ref = aw::run_pairs(b3, b3, mem, items(3), config(1, true));
  EXPECT_EQ(first.size() + b2.asked.size(), b3.asked.size()) << "every request asked once";
  EXPECT_EQ(dump(res.pairs), dump(ref.pairs));
  // Another margin reuses the checkpoint (it is no setting of the requests) and asks nothing.
  PairsBackend b4;
  auto cfg = config(2, true);
  cfg.min_margin = 2.0;
  aw::PairsStats s4;
  auto strict = aw::run_pairs(b4, b4, store, items(3), cfg, &s4);
  EXPECT_EQ(s4.requests, 0);
  EXPECT_LE(strict.pairs.size(), res.pairs.size());
  fs::remove_all(dir);
}

TEST(Pairs, BadSettingsAreInputErrors) {
  PairsBackend b;
  aw::Store store(":memory:");
  auto cfg = config(1);
  cfg.judge_template = "no response placeholder";
  EXPECT_THROW(aw::run_pairs(b, b, store, items(1), cfg), lw::InputError);
  cfg = config(1);
  cfg.candidates = 1;
  aw::Store store2(":memory:");
  EXPECT_THROW(aw::run_pairs(b, b, store2, items(1), cfg), lw::InputError);
}

// The seed of each stored request (PairsConfig::seed's scheme), to match server logs to the store.
std::set<int64_t> stored_seeds(const fs::path& db, int n_items, int64_t seed) {
  std::set<int64_t> out;
  aw::Store store(db);
  std::vector<std::string> keys;
  for (int i = 0; i < n_items; ++i)
    keys.push_back(aw::item_key(fmt::format("Write a 900-word essay about topic {}", i), 0));
  auto loaded = store.load(keys);
  for (int i = 0; i < n_items; ++i) {
    const int64_t base = seed + 1000000 * i;
    const auto& it = loaded[keys[i]];
    for (const auto& p : it.plans) out.insert(base + p.attempt);
    for (const auto& [k, r] : it.requests) {
      const int64_t step_base = base + 1000 * (r.step + 1);
      if (r.kind == "candidate") out.insert(step_base + r.index);
      if (r.kind == "judge") out.insert(step_base + 100 + 10 * r.index + r.attempt);
      // (--whole is not used here)
    }
  }
  return out;
}

TEST(CliPairs, KilledMidwayResumesAndMatchesAnotherConcurrency) {
  constexpr int kItems = 4;
  lw::testing::FakeOpenAIServer srv([](const lw::testing::FakeRequest& r) {
    lw::testing::FakeReply rep;
    rep.content = lw::testing::pairs_answer(
        lw::testing::last_user_message(r.body),
        r.body.contains("seed") ? std::optional<int64_t>(r.body["seed"].get<int64_t>()) : std::nullopt);
    rep.delay_s = 0.01;
    return rep;
  });
  auto dir = temp_dir("cli");
  std::string in = (dir / "in.jsonl").string(), out = (dir / "pairs.jsonl").string();
  {
    lw::io::JsonlWriter w(in);
    for (int i = 0; i < kItems; ++i)
      w.write({{"prompt", fmt::format("Write a 900-word essay about topic {}", i)}});
    w.commit();
  }
  auto args = [&](const std::string& o, int conc) {
    return std::vector<std::string>{"agentwrite", "pairs",    "--in",          in,
                                    "--out",      o,          "--candidates",  "3",
                                    "--seed",     "7",        "--concurrency", std::to_string(conc),
                                    "--trl-out",  o + ".trl", "--base-url",    srv.base_url(),
                                    "--model",    "fake"};
  };
  ASSERT_TRUE(lw::testing::spawn_and_kill_after(args(out, 3), 30, [&] { return srv.request_count(); }))
      << "the run could not start or finished before it was killed";
  EXPECT_FALSE(fs::exists(out));
  const int first_run = srv.request_count();
  const std::set<int64_t> finished = stored_seeds(out + ".sqlite", kItems, 7);
  EXPECT_GE(finished.size(), 20u);
  EXPECT_LE(first_run - static_cast<int>(finished.size()), 3) << "only requests in flight are lost";

  std::string cmd;
  for (const auto& a : args(out, 3)) cmd += " '" + a + "'";
  auto r = lw::testing::run_longwriter(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto reqs = srv.requests();
  for (size_t i = static_cast<size_t>(first_run); i < reqs.size(); ++i)
    EXPECT_EQ(finished.count(reqs[i].body["seed"].get<int64_t>()), 0u)
        << "a finished request was asked again";
  EXPECT_EQ(static_cast<int>(reqs.size()) - first_run + static_cast<int>(finished.size()),
            kItems * (1 + 3 * 6));

  // A fresh run at another concurrency writes the same pairs.
  std::string out2 = (dir / "pairs2.jsonl").string();
  cmd.clear();
  for (const auto& a : args(out2, 8)) cmd += " '" + a + "'";
  r = lw::testing::run_longwriter(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(lw::io::read_file(out), lw::io::read_file(out2));
  EXPECT_EQ(lw::io::read_file(out + ".trl"), lw::io::read_file(out2 + ".trl"));
  auto lines = lw::io::read_jsonl(out + ".trl");
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(lines[0].value["prompt"].is_array());
  // `pack dpo` writes the same TRL lines from the pairs file.
  r = lw::testing::run_longwriter("pack dpo --in '" + out + "' --out '" + out + ".trl2'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(lw::io::read_file(out + ".trl2"), lw::io::read_file(out + ".trl"));
  fs::remove_all(dir);
}

}  // namespace
