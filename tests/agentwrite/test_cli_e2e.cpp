// End-to-end: the longwriter binary against the fake OpenAI server on 127.0.0.1 answering plans
// and paragraphs deterministically (FakeModel): write, parallel write, a faulty batch, and a batch
// killed with SIGKILL and resumed.
#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "agentwrite/store.hpp"
#include "cli/cli_helpers.hpp"
#include "fake_model.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "spawn.hpp"
#include "support/fake_openai.hpp"
#include "support/shared_data.hpp"
#include "text/words.hpp"

namespace {

namespace aw = lw::agentwrite;
namespace fs = std::filesystem;
using lw::testing::FakeModel;
using lw::testing::FakeOpenAIServer;
using lw::testing::FakeReply;
using lw::testing::FakeRequest;
using lw::testing::run_longwriter;
using lw::testing::spawn_longwriter;

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("lw_aw_e2e_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

FakeReply model_reply(const FakeRequest& r) {
  FakeReply rep;
  rep.content = FakeModel{}.answer(lw::testing::last_user_message(r.body));
  return rep;
}

std::string instructions_file(const fs::path& dir, int n) {
  std::string path = (dir / "in.jsonl").string();
  lw::io::JsonlWriter w(path);
  for (int i = 0; i < n; ++i)
    w.write({{"prompt", fmt::format("Write a 600-word essay about topic {}", i)}, {"id", i}});
  w.commit();
  return path;
}

// (topic, step) of a request: step -1 for a plan.
std::pair<int, int> step_id(const std::string& prompt) {
  int64_t w = 0;
  int k = FakeModel::is_plan_prompt(prompt) ? 0 : FakeModel::step_of(prompt, w);
  return {FakeModel::topic(prompt), k - 1};
}

TEST(CliWrite, WritesAndStreams) {
  FakeOpenAIServer srv(model_reply);
  auto dir = temp_dir("write");
  std::string out = (dir / "out.md").string();
  auto r = run_longwriter("write \"Write a 900-word essay about topic 1\" --base-url " + srv.base_url() +
                          " --model fake -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string text = lw::io::read_file(out);
  EXPECT_EQ(lw::text::count_words(text), 900);
  EXPECT_EQ(text.find("Paragraph"), std::string::npos);
  EXPECT_NE(text.find("Topic1 part1:"), std::string::npos);
  EXPECT_NE(text.find("\n\nTopic1 part3:"), std::string::npos);
  // The text went to stdout as well, cleaned the same way.
  EXPECT_NE(r.out.find(text.substr(0, 200)), std::string::npos) << r.out;
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_TRUE(reqs[1].body.value("stream", false)) << "paragraphs are streamed";
}

TEST(CliWrite, ParallelPlanOnlyAndGivenPlan) {
  FakeOpenAIServer srv(model_reply);
  auto dir = temp_dir("parallel");
  std::string base = " --base-url " + srv.base_url() + " --model fake";
  auto r = run_longwriter("write \"Write a 900-word essay about topic 2\" --parallel -o " + (dir / "p.md").string() + base);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(lw::text::count_words(lw::io::read_file(dir / "p.md")), 900);
  EXPECT_NE(r.out.find("Topic2 part3:"), std::string::npos) << "every paragraph goes to stdout: " << r.out;
  for (const auto& q : srv.requests())
    EXPECT_EQ(lw::testing::last_user_message(q.body).find("Topic2 part"), std::string::npos);
  // The paragraphs stream, so the bar (stdout is not a terminal) counts words as they are written.
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 4u);
  for (size_t i = 1; i < reqs.size(); ++i) EXPECT_TRUE(reqs[i].body.value("stream", false)) << i;
  EXPECT_NE(r.out.find("write 900/900 words (100%)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| paragraphs 3/3"), std::string::npos) << r.out;

  int before = srv.request_count();
  r = run_longwriter("write \"Write a 900-word essay about topic 2\" --plan-only -o " + (dir / "plan.txt").string() + base);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(srv.request_count(), before + 1);
  EXPECT_NE(lw::io::read_file(dir / "plan.txt").find("Paragraph 3 - Main Point"), std::string::npos);

  before = srv.request_count();
  r = run_longwriter("write \"Write a 900-word essay about topic 2\" --plan " + (dir / "plan.txt").string() + " -o " +
                     (dir / "g.md").string() + base);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(srv.request_count(), before + 3) << "no plan request with --plan";
  EXPECT_EQ(lw::text::count_words(lw::io::read_file(dir / "g.md")), 900);
}

TEST(CliWrite, ReferenceTemplates) {
  FakeOpenAIServer srv(model_reply);
  auto dir = temp_dir("reftmpl");
  std::string refs = lw::testing::data_file("reference-prompts/");
  auto r = run_longwriter("write \"Write a 600-word essay about topic 3\" --plan-template " + refs +
                          "plan.txt --write-template " + refs + "write.txt -o " + (dir / "o.md").string() +
                          " --base-url " + srv.base_url() + " --model fake");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(lw::text::count_words(lw::io::read_file(dir / "o.md")), 600);
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_NE(lw::testing::last_user_message(reqs[0].body).find("break it down"), std::string::npos);
  EXPECT_NE(lw::testing::last_user_message(reqs[3].body).find("continue writing Paragraph 3"), std::string::npos);
}

TEST(CliWrite, BadInputExitsWithTwo) {
  auto dir = temp_dir("badinput");
  lw::io::write_file_atomic(dir / "empty.txt", "no placeholders here\n");
  auto r = run_longwriter("write \"x\" --write-template " + (dir / "empty.txt").string() +
                          " --base-url http://127.0.0.1:9/v1 --model m");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("$STEP$"), std::string::npos) << r.out;
  r = run_longwriter("agentwrite --out x.jsonl --base-url http://127.0.0.1:9/v1 --model m");
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

// A damaged checkpoint (issue 26): an edited paragraph of the same length, then scribbled pages,
// each stop the rerun with exit code 2 naming --fresh; --fresh then completes.
TEST(CliAgentWrite, ADamagedCheckpointIsExitTwoNamingFresh) {
  FakeOpenAIServer srv(model_reply);
  auto dir = temp_dir("damaged");
  std::string in = instructions_file(dir, 3), out = (dir / "out.jsonl").string(), db = out + ".sqlite";
  const std::string cmd =
      fmt::format("agentwrite --in {} --out {} --base-url {} --model fake", in, out, srv.base_url());
  auto r = run_longwriter(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h,
                           "UPDATE paragraphs SET text = replace(text, 'e', 'E') WHERE rowid = "
                           "(SELECT min(rowid) FROM paragraphs)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  r = run_longwriter(cmd);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("paragraphs row"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--fresh"), std::string::npos) << r.out;

  ASSERT_GE(fs::file_size(db), 3 * 4096u);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    for (int i = 0; i < 2 * 4096; i++) f.put(static_cast<char>(i * 131 + 7));
  }
  r = run_longwriter(cmd);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("is damaged"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--fresh"), std::string::npos) << r.out;

  r = run_longwriter(cmd + " --fresh");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  fs::remove_all(dir);
}

// A reference run without faults, for comparison.
std::string reference_output(int n, int concurrency) {
  FakeOpenAIServer srv(model_reply);
  auto dir = temp_dir(fmt::format("ref{}", n));
  std::string in = instructions_file(dir, n), out = (dir / "out.jsonl").string();
  auto r = run_longwriter(fmt::format("agentwrite --in {} --out {} --concurrency {} --base-url {} --model fake", in,
                                      out, concurrency, srv.base_url()));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return lw::io::read_file(out);
}

TEST(CliAgentWrite, BatchWithFaults) {
  std::mutex mu;
  std::map<std::string, int> attempts;
  bool hung = false;
  FakeOpenAIServer srv([&](const FakeRequest& r) {
    std::string prompt = lw::testing::last_user_message(r.body);
    int n;
    bool hang_this = false;
    {
      std::lock_guard lk(mu);
      n = ++attempts[prompt];
      if (!hung && step_id(prompt) == std::make_pair(7, 1)) hang_this = hung = true;
    }
    FakeReply rep;
    if (hang_this) {
      rep.hang = true;
      return rep;
    }
    uint64_t h = lw::testing::fnv(prompt) % 10;
    if (n == 1 && h == 0) {
      rep.status = 500;
      rep.error_message = "internal error";
      return rep;
    }
    if (n == 1 && h == 1) {
      rep.status = 429;
      rep.error_message = "rate limited";
      rep.headers["Retry-After"] = "0";
      return rep;
    }
    return model_reply(r);
  });
  auto dir = temp_dir("faults");
  std::string in = instructions_file(dir, 50), out = (dir / "out.jsonl").string();
  auto r = run_longwriter(fmt::format(
      "agentwrite --in {} --out {} --concurrency 8 --timeout 2 --retries 4 --base-url {} --model fake", in, out,
      srv.base_url()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(hung);
  auto lines = lw::io::read_jsonl(out);
  ASSERT_EQ(lines.size(), 50u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].get_int("id"), static_cast<int64_t>(i)) << "input order and fields kept";
    EXPECT_EQ(lines[i].get_int("response_length"), 600);
    EXPECT_EQ(lines[i].value["write"].size(), 3u);
  }
  int faults = 0;
  for (const auto& [p, n] : attempts) faults += n > 1;
  EXPECT_GT(faults, 5);
  EXPECT_EQ(lw::io::read_file(out), reference_output(50, 8)) << "faults change nothing in the result";
}

TEST(CliAgentWrite, KilledMidwayResumesExactly) {
  constexpr int kItems = 30, kConcurrency = 4;
  FakeOpenAIServer srv([](const FakeRequest& r) {
    FakeReply rep = model_reply(r);
    rep.delay_s = 0.01;
    return rep;
  });
  auto dir = temp_dir("kill");
  std::string in = instructions_file(dir, kItems), out = (dir / "out.jsonl").string();
  std::vector<std::string> args = {"agentwrite", "--in", in, "--out", out, "--concurrency",
                                   std::to_string(kConcurrency), "--base-url", srv.base_url(), "--model", "fake"};
  ASSERT_TRUE(lw::testing::spawn_and_kill_after(args, 50, [&] { return srv.request_count(); }))
      << "the run could not start or finished before it was killed";
  EXPECT_FALSE(fs::exists(out)) << "no partial output";

  // What the checkpoint holds as finished.
  std::set<std::pair<int, int>> finished;
  {
    aw::Store store(out + ".sqlite");
    std::vector<std::string> keys;
    for (int i = 0; i < kItems; ++i) keys.push_back(aw::item_key(fmt::format("Write a 600-word essay about topic {}", i), 0));
    auto items = store.load(keys);
    for (int i = 0; i < kItems; ++i) {
      const auto& it = items[keys[i]];
      if (!it.plans.empty()) finished.insert({i, -1});
      for (const auto& [step, p] : it.paragraphs) finished.insert({i, step});
    }
  }
  int first_run = srv.request_count();
  EXPECT_GT(finished.size(), 10u);
  EXPECT_LT(finished.size(), static_cast<size_t>(kItems * 4));
  // Every request of the first run that is not finished was in flight when the kill came.
  EXPECT_LE(first_run - static_cast<int>(finished.size()), kConcurrency);

  auto r = run_longwriter(fmt::format("agentwrite --in {} --out {} --concurrency {} --base-url {} --model fake", in,
                                      out, kConcurrency, srv.base_url()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto reqs = srv.requests();
  ASSERT_GT(static_cast<int>(reqs.size()), first_run);
  std::map<std::pair<int, int>, int> asked;
  for (const auto& q : reqs) ++asked[step_id(lw::testing::last_user_message(q.body))];
  for (size_t i = static_cast<size_t>(first_run); i < reqs.size(); ++i) {
    auto id = step_id(lw::testing::last_user_message(reqs[i].body));
    EXPECT_EQ(finished.count(id), 0u) << "finished step requested again: topic " << id.first << " step " << id.second;
  }
  int twice = 0;
  for (const auto& [id, n] : asked) {
    EXPECT_LE(n, 2);
    twice += n > 1;
  }
  EXPECT_LE(twice, kConcurrency) << "only requests in flight at the kill are asked again";
  EXPECT_EQ(static_cast<int>(asked.size()), kItems * 4);
  EXPECT_EQ(lw::io::read_file(out), reference_output(kItems, kConcurrency));
}

TEST(CliAgentWrite, SelectAndExport) {
  auto dir = temp_dir("selexp");
  std::string raw = (dir / "raw.jsonl").string();
  {
    lw::io::JsonlWriter w(raw);
    w.write({{"prompt", "Write a 5000-word history of tea"}});
    w.write({{"prompt", "Write a 5000 word history of tea!"}});
    w.write({{"prompt", "写一篇一万字的小说"}});
    w.write({{"prompt", "What time is it?"}});
    w.write({{"prompt", "Scrape all emails from this site and write 5000 words"}});
    w.commit();
  }
  auto r = run_longwriter("agentwrite select --in " + raw + " --out " + (dir / "sel.jsonl").string() + " --dropped " +
                          (dir / "drop.jsonl").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("5 instructions: 2 kept, 3 dropped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("near-duplicate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rule: scraping"), std::string::npos) << r.out;
  EXPECT_EQ(lw::io::read_jsonl(dir / "sel.jsonl").size(), 2u);
  EXPECT_EQ(lw::io::read_jsonl(dir / "drop.jsonl").size(), 3u);

  std::string wr = (dir / "write.jsonl").string();
  {
    lw::io::JsonlWriter w(wr);
    w.write({{"prompt", "p"}, {"response", "some words here"}, {"response_length", 3}});
    w.commit();
  }
  r = run_longwriter("agentwrite export --in " + wr + " --out " + (dir / "sft.jsonl").string() + " --stats " +
                     (dir / "stats.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("exported 1 examples"), std::string::npos) << r.out;
  auto sft = lw::io::read_jsonl(dir / "sft.jsonl");
  ASSERT_EQ(sft.size(), 1u);
  EXPECT_EQ(sft[0].value["messages"][1]["content"], "some words here");
  EXPECT_TRUE(fs::exists(dir / "stats.json"));
}

}  // namespace
