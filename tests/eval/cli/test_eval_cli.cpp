// End to end through the CLI against the fake OpenAI server on 127.0.0.1: predict (killed with
// SIGKILL midway, then resumed), judge (malformed answers retried, reference template), score
// (report.html well-formed), compare, ruler, and usage errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "eval/html_check.hpp"
#include "cli/cli_helpers.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "support/fake_openai.hpp"
#include "text/words.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using lw::io::Json;
using lw::testing::FakeOpenAIServer;
using lw::testing::FakeReply;
using lw::testing::FakeRequest;
using lw::testing::run_longwriter;

class BenchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("lw_bench_cli_{}_{}", ::getpid(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// The prompt file: n prompts whose required lengths cover the four buckets.
std::string write_data(const fs::path& p, int n) {
  const int lengths[] = {100, 300, 800, 1500, 2500, 3000, 5000, 10000};
  const char* types[] = {"News Report", "Popular Science", "社区论坛"};
  std::string s;
  for (int i = 0; i < n; ++i)
    s += Json{{"prompt", fmt::format("Prompt {}: write {} words", i, lengths[i % 8])},
              {"type", types[i % 3]},
              {"length", lengths[i % 8]}}
             .dump() +
         "\n";
  lw::io::write_file_atomic(p, s);
  return p.string();
}

// The model's answer: 90% of the required words (none for prompts 5 and 13; 7 and 15 truncated).
FakeReply answer(const nlohmann::json& body, double delay_s) {
  std::string u = lw::testing::last_user_message(body);
  int idx = std::stoi(u.substr(7));
  int len = std::stoi(u.substr(u.find("write ") + 6));
  FakeReply r;
  int words = idx % 8 == 5 ? 0 : len * 9 / 10;
  r.content.reserve(static_cast<size_t>(words) * 4);
  for (int i = 0; i < words; ++i) r.content += i % 10 == 9 ? "end.\n" : "abc ";
  r.finish_reason = idx % 8 == 7 ? "length" : "stop";
  r.delay_s = delay_s;
  r.stream_chunk_chars = 4096;
  return r;
}

std::vector<lw::io::Record> read_strict(const std::string& p) { return lw::io::read_jsonl(p); }

int count_lines(const std::string& p) {
  std::ifstream f(p);
  std::string line;
  int n = 0;
  while (std::getline(f, line))
    if (!f.eof()) ++n;  // only complete lines
  return n;
}

// Starts `longwriter ARGS` as a child process (output to log); returns its pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    ::dup2(STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> argv;
    std::string bin = lw::testing::longwriter_bin();
    argv.push_back(bin.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

const char* kJudgeAnswer =
    R"({"Analysis": "Repetitive.", "Relevance": 3, "Accuracy": 4, "Coherence": 2, "Clarity": 3, "Breadth and Depth": 1, "Reading Experience": 2})";

TEST_F(BenchCli, PredictKilledThenResumedThenJudgeAndScore) {
  const int n = 16;
  std::string data = write_data(dir_ / "data.jsonl", n);
  std::string pred = path("pred.jsonl");

  // 1. A slow server; kill -9 the run once a few predictions are written.
  FakeOpenAIServer slow([](const FakeRequest& r) { return answer(r.body, 0.3); });
  pid_t pid = spawn({"bench", "predict", "--data", data, "--out", pred, "--base-url", slow.base_url(), "--model", "m",
                     "--concurrency", "2", "--retries", "0"},
                    path("predict1.log"));
  ASSERT_GT(pid, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_lines(pred) < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << lw::io::read_file(path("predict1.log"));
  int done_before = count_lines(pred);
  ASSERT_GE(done_before, 4);
  ASSERT_LT(done_before, n) << "the run finished before it could be killed";
  slow.stop();
  // A torn final line, as a kill in the middle of a write would leave.
  { std::ofstream(pred, std::ios::app) << R"({"prompt": "Prompt 15: write 10000 words", "resp)"; }

  // 2. Resume: only the unfinished prompts are asked for.
  FakeOpenAIServer fast([](const FakeRequest& r) { return answer(r.body, 0); });
  auto r2 = run_longwriter(fmt::format("bench predict --data {} --out {} --base-url {} --model m --concurrency 4", data,
                                       pred, fast.base_url()));
  ASSERT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_EQ(fast.request_count(), n - done_before) << r2.out;
  EXPECT_NE(r2.out.find(fmt::format("{} already done", done_before)), std::string::npos) << r2.out;
  EXPECT_NE(r2.out.find(fmt::format("{}/{} prompts", n - done_before, n - done_before)), std::string::npos) << r2.out;
  auto preds = read_strict(pred);  // strict: no torn line left
  ASSERT_EQ(preds.size(), static_cast<size_t>(n));
  std::set<std::string> prompts;
  for (const auto& p : preds) {
    prompts.insert(p.get_string("prompt"));
    EXPECT_EQ(p.get_int("response_length"), lw::text::count_words(p.get_string("response")));
    EXPECT_TRUE(p.has("type"));
    EXPECT_TRUE(p.has("finish_reason"));
  }
  EXPECT_EQ(prompts.size(), static_cast<size_t>(n));
  // Streaming was used by default.
  for (const auto& req : fast.requests()) EXPECT_TRUE(req.body.value("stream", false));

  // 3. A third run has nothing to do.
  auto r3 = run_longwriter(fmt::format("bench predict --data {} --out {} --base-url {} --model m", data, pred,
                                       fast.base_url()));
  ASSERT_EQ(r3.exit_code, 0) << r3.out;
  EXPECT_EQ(fast.request_count(), n - done_before);

  // 4. Judge with the reference template; the first answer for each response is malformed.
  std::mutex mu;
  std::map<std::string, int> seen;
  FakeOpenAIServer judge([&](const FakeRequest& r) {
    std::string u = lw::testing::last_user_message(r.body);
    FakeReply rep;
    std::lock_guard lk(mu);
    int k = seen[u]++;
    rep.content = k == 0 ? "这篇回答结构清晰。评分：{\"Relevance\": 6, \"Accuracy\": 4}"
                         : fmt::format("Here is my evaluation.\n```json\n{}\n```\nHope this helps.", kJudgeAnswer);
    return rep;
  });
  std::string tmpl = lw::testing::data_file("reference-prompts/judge.txt");
  std::string judged = path("judge.jsonl");
  auto j = run_longwriter(fmt::format("bench judge --pred {} --out {} --judge-base-url {} --judge-model judge "
                                      "--template {} --concurrency 4",
                                      pred, judged, judge.base_url(), tmpl));
  ASSERT_EQ(j.exit_code, 0) << j.out;
  EXPECT_EQ(judge.request_count(), 2 * n);
  EXPECT_NE(j.out.find(fmt::format("{} needed a retry", n)), std::string::npos) << j.out;
  for (const auto& req : judge.requests())
    EXPECT_NE(lw::testing::last_user_message(req.body).find("<User Request>"), std::string::npos);
  auto jl = read_strict(judged);
  ASSERT_EQ(jl.size(), static_cast<size_t>(n));
  for (const auto& l : jl) {
    EXPECT_EQ(l.value.at("scores").at("Breadth and Depth").get<int>(), 1);
    EXPECT_NE(l.get_string("judge_raw").find("```json"), std::string::npos);
  }

  // 5. Score.
  std::string out = path("report");
  auto s = run_longwriter(fmt::format("bench score --pred {} --judge {} --data {} --out {} --name fake-model", pred,
                                      judged, data, out));
  ASSERT_EQ(s.exit_code, 0) << s.out;
  Json rep = Json::parse(lw::io::read_file(out + "/report.json"));
  double sl = 0;
  for (const auto& p : preds)
    sl += lw::text::length_score(static_cast<double>(p.get_int("length")), static_cast<double>(p.get_int("response_length")));
  EXPECT_NEAR(rep.at("S_l").get<double>(), sl / n, 1e-9);
  // Scores 3,4,2,3,1,2 -> (x-1)*25 = 50,75,25,50,0,25 -> S_q = 37.5.
  EXPECT_NEAR(rep.at("S_q").get<double>(), 37.5, 1e-9);
  EXPECT_NEAR(rep.at("S").get<double>(), (sl / n + 37.5) / 2, 1e-9);
  EXPECT_EQ(rep.at("counts").at("truncated").get<int>(), 2);  // prompts 7 and 15
  EXPECT_EQ(rep.at("counts").at("empty").get<int>(), 2);      // prompts 5 and 13
  EXPECT_TRUE(rep.at("complete").get<bool>());
  EXPECT_EQ(rep.at("name").get<std::string>(), "fake-model");
  for (const auto& b : rep.at("buckets")) EXPECT_GT(b.at("n").get<int>(), 0) << b.dump();
  std::string html = lw::io::read_file(out + "/report.html");
  EXPECT_EQ(lw::testing::check_html(html), "");
  EXPECT_NE(html.find("<svg "), std::string::npos);
  EXPECT_NE(html.find("社区论坛"), std::string::npos);
  EXPECT_NE(lw::io::read_file(out + "/report.md").find("| fake-model |"), std::string::npos);

  // 6. Compare against a length-only report of the same predictions.
  auto s2 = run_longwriter(fmt::format("bench score --pred {} --out {}", pred, path("lenonly")));
  ASSERT_EQ(s2.exit_code, 0) << s2.out;
  auto c = run_longwriter(fmt::format("bench compare {} {} --out {}", out, path("lenonly"), path("cmp")));
  ASSERT_EQ(c.exit_code, 0) << c.out;
  EXPECT_NE(c.out.find("| fake-model |"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("| lenonly |"), std::string::npos) << c.out;
  EXPECT_EQ(lw::testing::check_html(lw::io::read_file(path("cmp/compare.html"))), "");
}

TEST_F(BenchCli, RulerAgainstTheFakeServer) {
  std::string s;
  for (int len : {1000, 2000, 5000})
    for (int k = 0; k < 2; ++k)
      s += Json{{"prompt", fmt::format("Prompt {}: write {} words", k, len)}, {"type", "t"}, {"length", len}}.dump() + "\n";
  lw::io::write_file_atomic(dir_ / "ruler.jsonl", s);
  FakeOpenAIServer srv([](const FakeRequest& r) { return answer(r.body, 0); });
  auto r = run_longwriter(fmt::format("ruler --data {} --out {} --base-url {} --model m --no-stream",
                                      path("ruler.jsonl"), path("rr"), srv.base_url()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(srv.request_count(), 6);
  for (const auto& req : srv.requests()) EXPECT_FALSE(req.body.value("stream", false));
  Json j = Json::parse(lw::io::read_file(path("rr/ruler.json")));
  ASSERT_EQ(j.at("lengths").size(), 3u);
  EXPECT_DOUBLE_EQ(j.at("lengths")[0].at("mean").get<double>(), 900.0);
  EXPECT_DOUBLE_EQ(j.at("lengths")[0].at("within_20pct").get<double>(), 1.0);
  EXPECT_EQ(lw::testing::check_html(lw::io::read_file(path("rr/ruler.html"))), "");
  // Analysing existing predictions needs no model.
  auto again = run_longwriter(fmt::format("ruler --pred {} --out {}", path("rr/pred.jsonl"), path("rr2")));
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_TRUE(fs::exists(dir_ / "rr2" / "ruler.html"));
}

TEST_F(BenchCli, UsageAndInputErrorsExitTwo) {
  std::string data = write_data(dir_ / "data.jsonl", 2);
  auto no_model = run_longwriter(fmt::format("bench predict --data {} --out {}", data, path("p.jsonl")));
  EXPECT_EQ(no_model.exit_code, 2) << no_model.out;
  EXPECT_NE(no_model.out.find("--base-url"), std::string::npos) << no_model.out;

  lw::io::write_file_atomic(dir_ / "bad.jsonl", "{\"prompt\": \"a\", \"length\": 10, \"response\": \"x\"}\n{\"prompt\": \"b\"}\n");
  auto bad = run_longwriter(fmt::format("bench score --pred {} --out {}", path("bad.jsonl"), path("o")));
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("bad.jsonl:2"), std::string::npos) << bad.out;

  lw::io::write_file_atomic(dir_ / "t.txt", "Judge: $RESPONSE$");
  auto tmpl = run_longwriter(fmt::format("bench judge --pred {} --out {} --judge-base-url http://127.0.0.1:9/v1 "
                                         "--judge-model j --template {}",
                                         path("bad.jsonl"), path("j.jsonl"), path("t.txt")));
  EXPECT_EQ(tmpl.exit_code, 2) << tmpl.out;
  EXPECT_NE(tmpl.out.find("$INST$"), std::string::npos) << tmpl.out;

  auto cmp = run_longwriter(fmt::format("bench compare {}", dir_.string()));
  EXPECT_EQ(cmp.exit_code, 2) << cmp.out;
  EXPECT_NE(cmp.out.find("report.json"), std::string::npos) << cmp.out;

  auto help = run_longwriter("bench --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* sub : {"predict", "judge", "score", "compare"}) EXPECT_NE(help.out.find(sub), std::string::npos);
}

TEST_F(BenchCli, PredictServerErrorsAreReportedAndRetriedByARerun) {
  std::string data = write_data(dir_ / "data.jsonl", 3);
  FakeOpenAIServer bad([](const FakeRequest& r) {
    FakeReply rep = answer(r.body, 0);
    if (lw::testing::last_user_message(r.body).rfind("Prompt 1:", 0) == 0) {
      rep.status = 400;
      rep.error_message = "bad request for this prompt";
    }
    return rep;
  });
  auto r = run_longwriter(fmt::format("bench predict --data {} --out {} --base-url {} --model m --retries 0", data,
                                      path("p.jsonl"), bad.base_url()));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("1 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("data.jsonl:2"), std::string::npos) << r.out;
  EXPECT_EQ(read_strict(path("p.jsonl")).size(), 2u);
}

}  // namespace

// WritingBench through the CLI: predict, judge with a benchmark-style ({query}, {response},
// {criteria}) template and a critic whose first reply to each criterion is unusable, score with
// the requirement subsets, compare two models.
TEST_F(BenchCli, WritingBenchPredictJudgeScoreCompare) {
  const std::string wb = std::string(LW_TEST_DATA_DIR) + "/writingbench";
  FakeOpenAIServer model([](const FakeRequest& r) {
    FakeReply a;
    a.content = fmt::format("<think>plan</think>\n\nAn answer to a request of {} bytes.",
                            lw::testing::last_user_message(r.body).size());
    return a;
  });
  std::string pred = path("wb_pred.jsonl");
  auto p = run_longwriter(fmt::format("bench writingbench predict --data {}/queries.jsonl --out {} --base-url {} "
                                      "--model m --seed 7 --limit 6",
                                      wb, pred, model.base_url()));
  ASSERT_EQ(p.exit_code, 0) << p.out;
  EXPECT_EQ(model.request_count(), 6);
  EXPECT_EQ(model.requests()[0].body.value("top_p", 0.0), 0.8);
  ASSERT_EQ(count_lines(pred), 6);

  // The critic: score = 1 + (length of the criterion's name % 10); every criterion's first reply
  // is a string score, which the benchmark's check rejects.
  std::mutex mu;
  std::set<std::string> seen;
  FakeOpenAIServer critic([&](const FakeRequest& r) {
    std::string u = lw::testing::last_user_message(r.body);
    auto at = u.find("CRIT[");
    auto name = Json::parse(u.substr(at + 5, u.find("]CRIT") - at - 5)).at("name").get<std::string>();
    std::string key = name + u.substr(u.find("RESP[") , 40);
    FakeReply a;
    std::lock_guard lk(mu);
    if (seen.insert(key).second) a.content = R"({"score": "5", "reason": "string"})";
    else a.content = fmt::format(R"(```json
{{"score": {}, "reason": "checked"}}
```)",
                                 1 + name.size() % 10);
    return a;
  });
  lw::io::write_file_atomic(path("tmpl.txt"),
                            "Rate it. Answer {{\"score\": n, \"reason\": \"...\"}}.\nQ[{query}]\nRESP[{response}]\n"
                            "CRIT[{criteria}]CRIT\n");
  std::string scores = path("wb_scores.jsonl");
  auto j = run_longwriter(fmt::format("bench writingbench judge --data {}/queries.jsonl --pred {} --out {} "
                                      "--template {} --judge-base-url {} --judge-model critic --concurrency 3",
                                      wb, pred, scores, path("tmpl.txt"), critic.base_url()));
  ASSERT_EQ(j.exit_code, 0) << j.out;
  for (const auto& req : critic.requests()) {
    std::string u = lw::testing::last_user_message(req.body);
    EXPECT_EQ(u.find("<think>"), std::string::npos);
    EXPECT_NE(u.find("Answer {\"score\""), std::string::npos);  // "{{" is a literal brace
  }
  double total = 0;
  int n = 0;
  for (const auto& l : read_strict(scores))
    for (const auto& [name, evals] : l.value.at("scores").items()) {
      EXPECT_EQ(evals.at(0).at("score").get<int>(), static_cast<int>(1 + name.size() % 10)) << name;
      total += evals.at(0).at("score").get<double>();
      ++n;
    }
  EXPECT_EQ(critic.request_count(), 2 * n);
  // A rerun asks nothing.
  auto j2 = run_longwriter(fmt::format("bench writingbench judge --data {}/queries.jsonl --pred {} --out {} "
                                       "--template {} --judge-base-url {} --judge-model critic",
                                       wb, pred, scores, path("tmpl.txt"), critic.base_url()));
  ASSERT_EQ(j2.exit_code, 0) << j2.out;
  EXPECT_EQ(critic.request_count(), 2 * n);

  auto s = run_longwriter(fmt::format("bench writingbench score --judge {} --data {}/queries.jsonl --requirements "
                                      "{}/requirement --out {} --name fake",
                                      scores, wb, wb, path("m1")));
  ASSERT_EQ(s.exit_code, 0) << s.out;
  Json rep = Json::parse(lw::io::read_file(path("m1/writingbench.json")));
  EXPECT_NEAR(rep.at("overall").get<double>(), total / n, 1e-9);
  EXPECT_EQ(rep.at("count"), 6);
  EXPECT_EQ(rep.at("missing").size(), 2u);  // --limit 6 of 8
  EXPECT_EQ(lw::testing::check_html(lw::io::read_file(path("m1/writingbench.html"))), "");
  auto s2 = run_longwriter(fmt::format("bench writingbench score --judge {}/scores_b.jsonl --out {}", wb, path("m2")));
  ASSERT_EQ(s2.exit_code, 0) << s2.out;
  auto c = run_longwriter(fmt::format("bench compare {} {} --out {}", path("m1"), path("m2"), path("cmp")));
  ASSERT_EQ(c.exit_code, 0) << c.out;
  EXPECT_NE(c.out.find("# WritingBench: comparison"), std::string::npos) << c.out;
  EXPECT_EQ(lw::testing::check_html(lw::io::read_file(path("cmp/writingbench_compare.html"))), "");
}

// bench arena through the CLI: three prediction files, a fake judge preferring the longer answer.
TEST_F(BenchCli, ArenaRanksModelsAgainstTheFakeJudge) {
  std::vector<std::string> files;
  for (int m = 0; m < 3; ++m) {
    std::string s;
    for (int p = 0; p < 4; ++p)
      s += Json{{"prompt", fmt::format("Prompt {}", p)},
                {"response", std::string(static_cast<size_t>(10 + 10 * m), 'x')}}
               .dump() +
           "\n";
    files.push_back(path(fmt::format("m{}.jsonl", m)));
    lw::io::write_file_atomic(files.back(), s);
  }
  FakeOpenAIServer judge([](const FakeRequest& r) {
    std::string u = lw::testing::last_user_message(r.body);
    auto len = [&](const std::string& tag) {
      size_t a = u.find(tag) + tag.size() + 1;
      return u.find('\n', a) - a;
    };
    FakeReply a;
    size_t la = len("=== ANSWER A ==="), lb = len("=== ANSWER B ===");
    a.content = fmt::format("{{\"winner\": \"{}\"}}", la > lb ? "A" : la < lb ? "B" : "tie");
    return a;
  });
  auto r =
      run_longwriter(fmt::format("bench arena {} {} {} --names short,mid,long --out {} --judge-base-url {} "
                                 "--judge-model j --bootstrap 100 --seed 5",
                                 files[0], files[1], files[2], path("arena"), judge.base_url()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(judge.request_count(), 6 * 4);
  Json rep = Json::parse(lw::io::read_file(path("arena/arena.json")));
  EXPECT_EQ(rep.at("models").at(0).at("name"), "long");
  EXPECT_EQ(rep.at("models").at(2).at("name"), "short");
  EXPECT_EQ(rep.at("battles"), 12);
  EXPECT_EQ(lw::testing::check_html(lw::io::read_file(path("arena/arena.html"))), "");
  auto again =
      run_longwriter(fmt::format("bench arena {} {} {} --names short,mid,long --out {} --judge-base-url {} "
                                 "--judge-model j --bootstrap 100 --seed 5",
                                 files[0], files[1], files[2], path("arena"), judge.base_url()));
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(judge.request_count(), 24);
  EXPECT_EQ(Json::parse(lw::io::read_file(path("arena/arena.json"))), rep);  // same seed, same report
}

// bench judge --segments through the CLI, then bench score --segment-judge.
TEST_F(BenchCli, SegmentedJudgeAndQualityByPosition) {
  std::string s;
  for (int p = 0; p < 3; ++p) {
    std::string text;
    for (int i = 0; i < 8; ++i) text += fmt::format("Paragraph {} says something here.\n\n", i);
    s += Json{{"prompt", fmt::format("Prompt {}", p)}, {"length", 40}, {"response", text}}.dump() + "\n";
  }
  std::string pred = path("pred.jsonl");
  lw::io::write_file_atomic(pred, s);
  FakeOpenAIServer judge([](const FakeRequest& r) {
    std::string u = lw::testing::last_user_message(r.body);
    // The first part (no context) scores 5 everywhere, later parts 3.
    int v = u.find("(none: this is the beginning") != std::string::npos ? 5 : 3;
    Json a = {{"Analysis", "x"}};
    for (const char* d : {"Relevance", "Accuracy", "Coherence", "Clarity", "Breadth and Depth", "Reading Experience"})
      a[d] = v;
    FakeReply rep;
    rep.content = a.dump();
    return rep;
  });
  auto j = run_longwriter(fmt::format("bench judge --pred {} --out {} --segments 4 --judge-base-url {} --judge-model j",
                                      pred, path("seg.jsonl"), judge.base_url()));
  ASSERT_EQ(j.exit_code, 0) << j.out;
  EXPECT_EQ(judge.request_count(), 3 * 4);
  auto sc = run_longwriter(fmt::format("bench score --pred {} --segment-judge {} --out {}", pred, path("seg.jsonl"),
                                       path("rep")));
  ASSERT_EQ(sc.exit_code, 0) << sc.out;
  Json rep = Json::parse(lw::io::read_file(path("rep/report.json")));
  EXPECT_NEAR(rep.at("positions").at("drop").get<double>(), 50 - 100, 1e-9);
  EXPECT_EQ(lw::testing::check_html(lw::io::read_file(path("rep/report.html"))), "");
}
