// The refine stage against the in-process fake model: critique and revision after each paragraph
// (the revision is what the next step sees and what the length control counts), after the whole
// text, the paragraph cap on revisions, and a resume after a simulated crash that asks no finished
// request again.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "agentwrite/pipeline.hpp"
#include "cli/cli_helpers.hpp"
#include "fake_backend.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "spawn.hpp"
#include "support/fake_openai.hpp"
#include "text/words.hpp"
#include "util/error.hpp"

namespace {

namespace aw = lw::agentwrite;
namespace fs = std::filesystem;
using lw::testing::FakeBackend;
using lw::testing::FakeModel;

fs::path temp_db(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("lw_aw_refine_" + std::to_string(::getpid()));
  fs::create_directories(d);
  fs::path p = d / (name + ".sqlite");
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(p.string() + s);
  return p;
}

std::vector<aw::WorkItem> items(int n, int words = 900) {
  std::vector<aw::WorkItem> v;
  for (int i = 0; i < n; ++i)
    v.push_back({fmt::format("Write a {}-word essay about topic {}", words, i), 0, {}});
  return v;
}

aw::PipelineConfig refine_config(aw::RefineMode mode) {
  aw::PipelineConfig cfg;
  cfg.refine = mode;
  cfg.concurrency = 4;
  return cfg;
}

TEST(Refine, EachParagraphIsCritiquedAndRevisedBeforeTheNext) {
  FakeBackend b;
  aw::Store store(":memory:");
  aw::RunStats stats;
  auto res = aw::run_pipeline(b, store, items(1), refine_config(aw::RefineMode::paragraph), {}, &stats);
  const auto& r = res.at(0);
  ASSERT_EQ(r.status, aw::ItemStatus::done) << r.reason;
  auto prompts = b.prompts();
  ASSERT_EQ(prompts.size(), 10u) << "plan + 3 x (write, critique, revise)";
  for (int k = 0; k < 3; ++k) {
    int64_t w = 0;
    EXPECT_EQ(FakeModel::step_of(prompts[1 + 3 * k], w), k + 1);
    EXPECT_TRUE(FakeModel::is_critique_prompt(prompts[2 + 3 * k])) << prompts[2 + 3 * k];
    EXPECT_TRUE(FakeModel::is_revise_prompt(prompts[3 + 3 * k]));
    EXPECT_EQ(FakeModel::refine_step_of(prompts[3 + 3 * k], w), k + 1);
    EXPECT_EQ(w, 300);
  }
  // The critique sees the draft (cleaned) and the step; the revision also the critique.
  EXPECT_NE(prompts[2].find("Topic0 part1:"), std::string::npos);
  EXPECT_EQ(prompts[2].find("**Paragraph 1:**"), std::string::npos);
  EXPECT_NE(prompts[3].find("Critique0.1: tighten it to 300 words."), std::string::npos);
  // The next write prompt carries the revision, not the draft.
  EXPECT_NE(prompts[4].find("Rev0 part1:"), std::string::npos);
  EXPECT_EQ(prompts[4].find("Topic0 part1:"), std::string::npos);
  ASSERT_EQ(r.refinements.size(), 3u);
  ASSERT_EQ(r.paragraphs.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(r.refinements[k].step, k);
    EXPECT_EQ(r.paragraphs[k], r.refinements[k].revision);
    EXPECT_NE(r.refinements[k].draft.find(fmt::format("Topic0 part{}:", k + 1)), std::string::npos);
    EXPECT_EQ(r.refinements[k].critique, fmt::format("Critique0.{}: tighten it to 300 words.", k + 1));
  }
  EXPECT_EQ(r.response_length, 900);
  EXPECT_EQ(r.response.find("Topic0 part2:"), std::string::npos);
  EXPECT_NE(r.response.find("Rev0 part2:"), std::string::npos);
}

TEST(Refine, LengthControlCountsTheRevisionAndTheCapAppliesToIt) {
  FakeBackend b;
  b.model.revise_factor = 2.0;  // revisions run twice their budget
  aw::Store store(":memory:");
  aw::PipelineConfig cfg = refine_config(aw::RefineMode::paragraph);
  cfg.cap.margin = 0.2;  // ... and the cap (budget x 1.4 x 1.2 + 16 tokens) cuts them
  b.honour_max_tokens = true;
  std::vector<int64_t> revise_caps;
  std::mutex mu;
  b.hook = [&](const std::string& prompt, const lw::net::ChatRequest& req) {
    std::lock_guard lk(mu);
    if (FakeModel::is_revise_prompt(prompt)) revise_caps.push_back(req.max_tokens.value_or(-1));
  };
  aw::RunStats stats;
  auto res = aw::run_pipeline(b, store, items(1), cfg, {}, &stats);
  ASSERT_EQ(res.at(0).status, aw::ItemStatus::done) << res[0].reason;
  ASSERT_EQ(revise_caps.size(), 3u);
  EXPECT_EQ(revise_caps[0], aw::paragraph_token_cap(300, 0, cfg.cap));
  EXPECT_GT(stats.capped_revisions, 0);
  // Revision 1 ended at a full sentence and its words (not the draft's) rescale step 2's budget.
  const auto& rev1 = res[0].refinements[0].revision;
  EXPECT_EQ(rev1.back(), '.');
  const int64_t w1 = lw::text::count_words(rev1);
  EXPECT_GT(w1, 300);
  auto prompts = b.prompts();
  int64_t budget2 = 0;
  ASSERT_EQ(FakeModel::step_of(prompts[4], budget2), 2);
  EXPECT_EQ(budget2, std::llround(300.0 * static_cast<double>(900 - w1) / 600.0));
}

TEST(Refine, WholeModeRefinesTheFinishedText) {
  FakeBackend b;
  aw::Store store(":memory:");
  std::vector<int64_t> caps;
  b.hook = [&](const std::string& prompt, const lw::net::ChatRequest& req) {
    if (FakeModel::is_revise_prompt(prompt)) caps.push_back(req.max_tokens.value_or(-1));
  };
  aw::PipelineConfig cfg = refine_config(aw::RefineMode::whole);
  auto res = aw::run_pipeline(b, store, items(1), cfg);
  const auto& r = res.at(0);
  ASSERT_EQ(r.status, aw::ItemStatus::done) << r.reason;
  auto prompts = b.prompts();
  ASSERT_EQ(prompts.size(), 6u) << "plan + 3 paragraphs + critique + revision";
  int64_t words = 0;
  EXPECT_EQ(FakeModel::refine_step_of(prompts[4], words), 0);
  EXPECT_EQ(words, 900);
  EXPECT_NE(prompts[4].find("Topic0 part3:"), std::string::npos) << "the critique sees the whole draft";
  ASSERT_EQ(caps.size(), 1u);
  EXPECT_EQ(caps[0], aw::paragraph_token_cap(900, 0, cfg.cap));
  ASSERT_EQ(r.refinements.size(), 1u);
  EXPECT_EQ(r.refinements[0].step, aw::kWholeStep);
  EXPECT_NE(r.refinements[0].draft.find("Topic0 part3:"), std::string::npos);
  EXPECT_EQ(r.response.rfind("Rev0 part0:", 0), 0u);
  EXPECT_EQ(r.response_length, 900);
  ASSERT_EQ(r.paragraphs.size(), 3u) << "the drafts stay in paragraphs";
}

// A run that dies after N answered requests (every later request fails), then a rerun: no request
// answered by the first run is asked again, and the result equals an uninterrupted run's.
TEST(Refine, ResumeAfterACrashAsksNoFinishedRequestAgain) {
  for (aw::RefineMode mode : {aw::RefineMode::paragraph, aw::RefineMode::whole}) {
    auto db = temp_db(std::string("crash_") + aw::refine_mode_name(mode));
    aw::PipelineConfig cfg = refine_config(mode);
    cfg.step_retries = 0;
    std::set<std::string> answered;
    {
      FakeBackend b;
      std::atomic<int> n{0};
      std::mutex mu;
      b.answer = [&](const std::string& prompt, const lw::net::ChatRequest&) {
        if (++n > 17) throw lw::Error("connection reset");
        std::lock_guard lk(mu);
        answered.insert(prompt);
        return std::string();
      };
      aw::Store store(db);
      auto res = aw::run_pipeline(b, store, items(3), cfg);
      int failed = 0;
      for (const auto& r : res) failed += r.status == aw::ItemStatus::failed;
      EXPECT_GT(failed, 0);
    }
    FakeBackend b2;
    aw::Store store(db);
    aw::RunStats stats;
    auto res = aw::run_pipeline(b2, store, items(3), cfg, {}, &stats);
    EXPECT_GT(stats.reused_refinements, 0);
    for (const auto& p : b2.prompts())
      EXPECT_EQ(answered.count(p), 0u) << "asked again: " << p.substr(0, 300);
    FakeBackend b3;
    aw::Store mem(":memory:");
    auto ref = aw::run_pipeline(b3, mem, items(3), cfg);
    EXPECT_EQ(answered.size() + b2.prompts().size(), b3.prompts().size()) << "every request asked once";
    for (size_t i = 0; i < res.size(); ++i) {
      ASSERT_EQ(res[i].status, aw::ItemStatus::done) << res[i].reason;
      EXPECT_EQ(res[i].response, ref[i].response);
      ASSERT_EQ(res[i].refinements.size(), ref[i].refinements.size());
      for (size_t k = 0; k < res[i].refinements.size(); ++k) {
        EXPECT_EQ(res[i].refinements[k].draft, ref[i].refinements[k].draft);
        EXPECT_EQ(res[i].refinements[k].critique, ref[i].refinements[k].critique);
      }
    }
  }
}

TEST(Refine, TemplatesNeedTheirPlaceholdersAndTheSettingsAreRecorded) {
  FakeBackend b;
  aw::PipelineConfig cfg = refine_config(aw::RefineMode::paragraph);
  cfg.critique_template = "no draft here";
  aw::Store store(":memory:");
  EXPECT_THROW(aw::run_pipeline(b, store, items(1), cfg), lw::InputError);
  cfg.critique_template.clear();
  cfg.revise_template = "$DRAFT$ only";
  EXPECT_THROW(aw::run_pipeline(b, store, items(1), cfg), lw::InputError);
  aw::PipelineConfig off;
  EXPECT_EQ(aw::settings_fingerprint(off).find("refine"), std::string::npos)
      << "checkpoints made without refine keep their fingerprint";
  EXPECT_NE(aw::settings_fingerprint(refine_config(aw::RefineMode::whole)).find("\"refine\":\"whole\""),
            std::string::npos);
}

}  // namespace

namespace {

namespace fs = std::filesystem;

lw::testing::FakeReply refine_reply(const lw::testing::FakeRequest& r) {
  lw::testing::FakeReply rep;
  rep.content = FakeModel{}.answer(lw::testing::last_user_message(r.body));
  return rep;
}

TEST(CliRefine, WriteAndAgentWritePrintAndKeepTheRevisions) {
  lw::testing::FakeOpenAIServer srv(refine_reply);
  fs::path dir = fs::temp_directory_path() / ("lw_aw_refine_cli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string base = " --base-url " + srv.base_url() + " --model fake";
  auto r = lw::testing::run_longwriter("write \"Write a 900-word essay about topic 4\" --refine -o " +
                                       (dir / "o.md").string() + base);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(srv.request_count(), 10);
  const std::string text = lw::io::read_file(dir / "o.md");
  EXPECT_EQ(text.rfind("Rev4 part1:", 0), 0u) << text.substr(0, 200);
  EXPECT_NE(text.find("\n\nRev4 part3:"), std::string::npos);
  EXPECT_EQ(text.find("Topic4 part"), std::string::npos) << "no draft in the text";
  EXPECT_NE(r.out.find("Rev4 part2:"), std::string::npos) << "revisions go to stdout";
  EXPECT_NE(r.out.find("refined 3 part(s)"), std::string::npos) << r.out;

  const std::string in = (dir / "in.jsonl").string(), out = (dir / "out.jsonl").string();
  {
    lw::io::JsonlWriter w(in);
    w.write({{"prompt", "Write a 600-word essay about topic 5"}});
    w.commit();
  }
  r = lw::testing::run_longwriter("agentwrite --in " + in + " --out " + out +
                                  " --refine --refine-mode whole" + base);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto lines = lw::io::read_jsonl(out);
  ASSERT_EQ(lines.size(), 1u);
  const auto& refine = lines[0].value["refine"];
  ASSERT_EQ(refine.size(), 1u);
  EXPECT_EQ(refine[0]["step"], "whole");
  EXPECT_NE(refine[0]["draft"].get<std::string>().find("Topic5 part2:"), std::string::npos);
  EXPECT_EQ(refine[0]["critique"], "Critique5.0: tighten it to 600 words.");
  EXPECT_EQ(lines[0].value["response"].get<std::string>().rfind("Rev5 part0:", 0), 0u);
  EXPECT_EQ(lines[0].value["response_length"], 600);
  // The same checkpoint without --refine is refused (other settings), naming the difference.
  r = lw::testing::run_longwriter("agentwrite --in " + in + " --out " + out + base);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("refine"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

}  // namespace

namespace {

// kill -9 in the middle of `agentwrite --refine`, then the same command: only requests in flight at
// the kill are asked twice, every request of the run is asked, and the output equals a run that was
// never killed.
TEST(CliRefine, KilledMidwayResumesExactly) {
  constexpr int kItems = 8, kConcurrency = 3;
  lw::testing::FakeOpenAIServer srv([](const lw::testing::FakeRequest& r) {
    lw::testing::FakeReply rep = refine_reply(r);
    rep.delay_s = 0.01;
    return rep;
  });
  fs::path dir = fs::temp_directory_path() / ("lw_aw_refine_kill_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string in = (dir / "in.jsonl").string(), out = (dir / "out.jsonl").string();
  {
    lw::io::JsonlWriter w(in);
    for (int i = 0; i < kItems; ++i)
      w.write({{"prompt", fmt::format("Write a 600-word essay about topic {}", i)}});
    w.commit();
  }
  auto args = [&](const std::string& o) {
    return std::vector<std::string>{"agentwrite",
                                    "--in",
                                    in,
                                    "--out",
                                    o,
                                    "--refine",
                                    "--concurrency",
                                    std::to_string(kConcurrency),
                                    "--base-url",
                                    srv.base_url(),
                                    "--model",
                                    "fake"};
  };
  ASSERT_TRUE(lw::testing::spawn_and_kill_after(args(out), 30, [&] { return srv.request_count(); }))
      << "the run could not start or finished before it was killed";
  const int first_run = srv.request_count();
  std::string cmd;
  for (const auto& a : args(out)) cmd += " '" + a + "'";
  auto r = lw::testing::run_longwriter(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::map<std::string, int> asked;
  for (const auto& q : srv.requests()) ++asked[lw::testing::last_user_message(q.body)];
  EXPECT_EQ(asked.size(), static_cast<size_t>(kItems * 10)) << "plan + 3 x (write, critique, revise) each";
  int twice = 0;
  for (const auto& [p, n] : asked) {
    EXPECT_LE(n, 2);
    twice += n > 1;
  }
  EXPECT_LE(twice, kConcurrency) << "only requests in flight at the kill are asked again";
  EXPECT_GT(first_run, twice);
  const std::string ref = (dir / "ref.jsonl").string();
  cmd.clear();
  for (const auto& a : args(ref)) cmd += " '" + a + "'";
  r = lw::testing::run_longwriter(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(lw::io::read_file(out), lw::io::read_file(ref));
  fs::remove_all(dir);
}

}  // namespace
