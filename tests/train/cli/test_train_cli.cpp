// End to end through the longwriter binary: chat examples -> `pack` (a byte-level BPE tokenizer
// written here, chatml) -> `train` from a config.json (random init, ~0.1M parameters) to near-zero
// loss -> `generate` (greedy) reproduces every training answer exactly; an interrupted run (stopped,
// or killed with SIGKILL) resumed with the same command gives the uninterrupted metrics.jsonl; `eval-loss` buckets; `dpo`
// raises the chosen-minus-rejected margin; bad inputs exit with code 2.
// LW_KEEP_TEST_DIR=1 keeps the working directory (its path is printed) for a look at the files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/cli_helpers.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "tiny_run.hpp"
#include "tokenizer/byte_level.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw::testing::tiny_run;
using lw::testing::run_longwriter;
using nlohmann::json;

// The chatml prompt of a user message, as token ids (bytes + specials).
std::vector<int> prompt_ids(const std::string& user) {
  std::vector<int> ids = {kImStart};
  for (unsigned char c : fmt::format("user\n{}", user)) ids.push_back(c);
  ids.push_back(kImEnd);
  ids.push_back('\n');
  ids.push_back(kImStart);
  for (unsigned char c : std::string("assistant\n")) ids.push_back(c);
  return ids;
}

std::string join_ids(const std::vector<int>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); i++) {
    if (i) s += ' ';
    s += std::to_string(ids[i]);
  }
  return s;
}

std::vector<json> read_metrics(const fs::path& f) {
  std::vector<json> out;
  for (auto& r : lw::io::read_jsonl(f)) out.push_back(r.value);
  return out;
}

// The common flags of the learning run (everything but --out).
std::string train_flags(const fs::path& dir) {
  return fmt::format(
      "train --data {} --model {} --epochs 100 --batch-packs 2 --lr 1e-2 --min-lr 1e-3 --weight-decay 0 "
      "--warmup-steps 5 --seed 3 --threads 1 --log-every 0",
      q(dir / "pack"), q(dir / "init" / "config.json"));
}

class TrainCli : public ::testing::Test {
 protected:
  static fs::path dir_;
  static std::string train_output_;
  static int train_exit_;

  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("lw_train_cli_{}", ::getpid());
    fs::remove_all(dir_);
    if (std::getenv("LW_KEEP_TEST_DIR")) std::printf("working directory: %s\n", dir_.c_str());
    write_inputs(dir_);
    auto p = run_longwriter(pack_args(dir_, dir_ / "pack"));
    if (p.exit_code != 0) {  // every test then fails on train_exit_ with this message
      train_output_ = fmt::format("pack failed ({}): {}", p.exit_code, p.out);
      return;
    }
    auto t = run_longwriter(fmt::format("{} --out {}", train_flags(dir_), q(dir_ / "run")));
    train_exit_ = t.exit_code;
    train_output_ = t.out;
  }
  static void TearDownTestSuite() {
    if (!std::getenv("LW_KEEP_TEST_DIR")) fs::remove_all(dir_);
  }
};

fs::path TrainCli::dir_;
std::string TrainCli::train_output_;
int TrainCli::train_exit_ = -1;

TEST_F(TrainCli, LearnsThePackAndGenerateReproducesEveryAnswer) {
  ASSERT_EQ(train_exit_, 0) << train_output_;
  auto m = read_metrics(dir_ / "run" / "metrics.jsonl");
  ASSERT_GE(m.size(), 100u);
  EXPECT_GT(m.front()["token_loss"].get<double>(), 4.0);  // ~ln(259) at random init
  EXPECT_LT(m.back()["token_loss"].get<double>(), 0.02) << "final token loss";
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"})
    EXPECT_TRUE(fs::exists(dir_ / "run" / f)) << f;

  // Every KV cache dtype reproduces the answers (f16 is the default).
  const char* kv_types[] = {"f16", "f32", "bf16"};
  int i = 0;
  for (const auto& [user, answer] : kExamples) {
    const char* kv = kv_types[i++ % 3];
    auto g = run_longwriter(fmt::format("generate --model {} --prompt-ids '{}' --max-new-tokens 60 --print-ids "
                                        "--threads 1 --kv-cache {}",
                                        q(dir_ / "run"), join_ids(prompt_ids(user)), kv));
    ASSERT_EQ(g.exit_code, 0) << g.out;
    EXPECT_NE(g.out.find(fmt::format(" MB {};", kv)), std::string::npos) << "KV cache dtype in the speed line\n" << g.out;
    std::vector<int> want;
    for (unsigned char c : answer) want.push_back(c);
    want.push_back(kImEnd);
    EXPECT_NE(g.out.find(fmt::format("\n{}\n", join_ids(want))), std::string::npos)
        << "prompt " << user << ": expected ids " << join_ids(want) << "\n" << g.out;
    EXPECT_NE(g.out.find(answer), std::string::npos) << g.out;  // the streamed text
  }
  // The same through the chat format and the tokenizer copied into the model directory.
  auto c = run_longwriter(fmt::format("generate --model {} --chat piano --format chatml --max-new-tokens 60 "
                                      "--threads 1",
                                      q(dir_ / "run")));
  ASSERT_EQ(c.exit_code, 0) << c.out;
  EXPECT_NE(c.out.find("black and white keys, 88."), std::string::npos) << c.out;
  EXPECT_NE(c.out.find(fmt::format("generated {} (stop)", std::string("black and white keys, 88.").size() + 1)),
            std::string::npos)
      << c.out;
}

TEST_F(TrainCli, InterruptedRunResumesToTheSameLossCurve) {
  ASSERT_EQ(train_exit_, 0) << train_output_;
  // 12 steps uninterrupted vs. stopped after 7 (last checkpoint at step 4) with a torn metrics
  // line (as a kill during a write leaves it), then the same command again.
  const std::string flags = fmt::format("{} --max-steps 12 --save-every 4", train_flags(dir_));
  auto a = run_longwriter(fmt::format("{} --out {}", flags, q(dir_ / "whole")));
  ASSERT_EQ(a.exit_code, 0) << a.out;
  auto b1 = run_longwriter(fmt::format("{} --out {} --stop-after 7", flags, q(dir_ / "parts")));
  ASSERT_EQ(b1.exit_code, 0) << b1.out;
  EXPECT_EQ(read_metrics(dir_ / "parts" / "metrics.jsonl").size(), 7u);
  EXPECT_FALSE(fs::exists(dir_ / "parts" / "model.safetensors"));  // not finished
  {
    std::ofstream torn(dir_ / "parts" / "metrics.jsonl", std::ios::app);
    torn << "{\"step\": 8, \"loss\": 1.2";
  }
  auto b2 = run_longwriter(fmt::format("{} --out {}", flags, q(dir_ / "parts")));
  ASSERT_EQ(b2.exit_code, 0) << b2.out;
  EXPECT_NE(b2.out.find("resumed"), std::string::npos) << b2.out;

  auto whole = read_metrics(dir_ / "whole" / "metrics.jsonl");
  auto parts = read_metrics(dir_ / "parts" / "metrics.jsonl");
  ASSERT_EQ(whole.size(), 12u);
  ASSERT_EQ(parts.size(), 12u);
  for (size_t i = 0; i < 12; i++) {
    EXPECT_EQ(parts[i]["step"], whole[i]["step"]);
    EXPECT_EQ(parts[i]["loss"].get<double>(), whole[i]["loss"].get<double>()) << "step " << i + 1;
    EXPECT_EQ(parts[i]["grad_norm"].get<double>(), whole[i]["grad_norm"].get<double>()) << "step " << i + 1;
  }
  EXPECT_EQ(lw::io::read_file(dir_ / "parts" / "model.safetensors"),
            lw::io::read_file(dir_ / "whole" / "model.safetensors"));
}

int complete_lines(const fs::path& p) {
  std::ifstream f(p);
  std::string line;
  int n = 0;
  while (std::getline(f, line))
    if (!f.eof()) ++n;  // a line without its newline is torn
  return n;
}

// Starts `sh -c "exec longwriter ARGS > log 2>&1"`; returns the child's pid (the longwriter process).
pid_t spawn_longwriter(const std::string& args, const fs::path& log) {
  const std::string cmd = fmt::format("exec {} {} > {} 2>&1", lw::testing::longwriter_bin(), args, q(log));
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

TEST_F(TrainCli, KilledWithSigkillThenResumedGivesTheUninterruptedRun) {
  ASSERT_EQ(train_exit_, 0) << train_output_;
  // The learning run again (same flags; a checkpoint every 10 steps), killed with SIGKILL mid-run.
  const std::string args = fmt::format("{} --save-every 10 --keep-checkpoints 1 --out {}", train_flags(dir_),
                                       q(dir_ / "killed"));
  pid_t pid = spawn_longwriter(args, dir_ / "killed.log");
  ASSERT_GT(pid, 0);
  const fs::path metrics = dir_ / "killed" / "metrics.jsonl";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (complete_lines(metrics) < 30 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run ended before the kill: " << lw::io::read_file(dir_ / "killed.log");
  const int before = complete_lines(metrics);
  ASSERT_LT(before, 200);
  auto r = run_longwriter(args);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("resumed"), std::string::npos) << r.out;
  auto whole = read_metrics(dir_ / "run" / "metrics.jsonl");
  auto resumed = read_metrics(metrics);
  ASSERT_EQ(resumed.size(), whole.size()) << "killed after " << before << " steps";
  for (size_t i = 0; i < whole.size(); i++) {
    ASSERT_EQ(resumed[i]["step"], whole[i]["step"]);
    ASSERT_EQ(resumed[i]["loss"].get<double>(), whole[i]["loss"].get<double>()) << "step " << i + 1;
  }
  EXPECT_EQ(lw::io::read_file(dir_ / "killed" / "model.safetensors"),
            lw::io::read_file(dir_ / "run" / "model.safetensors"));
}

TEST_F(TrainCli, EvalLossPrintsBucketsAndIsLowAfterTraining) {
  ASSERT_EQ(train_exit_, 0) << train_output_;
  auto e = run_longwriter(fmt::format("eval-loss --data {} --model {} --buckets 0 8 16 --json {} --threads 1",
                                      q(dir_ / "pack"), q(dir_ / "run"), q(dir_ / "eval.json")));
  ASSERT_EQ(e.exit_code, 0) << e.out;
  EXPECT_NE(e.out.find("ppl"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("0-7"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("8-15"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("16+"), std::string::npos) << e.out;
  auto j = json::parse(lw::io::read_file(dir_ / "eval.json"));
  EXPECT_EQ(j["sequences"].get<int>(), (int)kExamples.size()) << j.dump();
  // Every answer byte plus its <|im_end|> is a target.
  int targets = 0;
  for (const auto& ex : kExamples) targets += (int)ex.second.size() + 1;
  EXPECT_EQ(j["targets"].get<int>(), targets) << j.dump();
  EXPECT_LT(j["loss"].get<double>(), 0.05) << e.out;
  ASSERT_TRUE(j["buckets"].is_array());
  for (const auto& b : j["buckets"]) EXPECT_LT(b["loss"].get<double>(), 0.1) << b.dump();
}

TEST_F(TrainCli, DpoRaisesTheMarginOfChosenOverRejected) {
  ASSERT_EQ(train_exit_, 0) << train_output_;
  std::string pairs;
  const std::vector<std::array<std::string, 3>> p = {{"apple", "green and tart.", "rotten."},
                                                     {"river", "deep and cold.", "dry."},
                                                     {"piano", "grand and loud.", "out of tune."},
                                                     {"cloud", "white and soft.", "heavy rain."}};
  for (const auto& [pr, ch, rj] : p) pairs += json{{"prompt", pr}, {"chosen", ch}, {"rejected", rj}}.dump() + "\n";
  lw::io::write_file_atomic(dir_ / "pairs.jsonl", pairs);
  auto d = run_longwriter(fmt::format("dpo --pairs {} --model {} --out {} --format chatml --epochs 6 "
                                      "--batch-pairs 2 --lr 2e-3 --beta 0.1 --warmup-ratio 0 --threads 1",
                                      q(dir_ / "pairs.jsonl"), q(dir_ / "run"), q(dir_ / "dpo")));
  ASSERT_EQ(d.exit_code, 0) << d.out;
  EXPECT_TRUE(fs::exists(dir_ / "dpo" / "ref_logps.json"));
  EXPECT_TRUE(fs::exists(dir_ / "dpo" / "model.safetensors"));
  auto m = read_metrics(dir_ / "dpo" / "metrics.jsonl");
  ASSERT_EQ(m.size(), 12u);
  // Step 1 starts at the reference: loss ln 2, margin 0.
  EXPECT_NEAR(m.front()["loss"].get<double>(), std::log(2.0), 1e-3);
  EXPECT_LT(m.back()["loss"].get<double>(), 0.5 * std::log(2.0)) << m.back().dump();
  EXPECT_GT(m.back()["margin"].get<double>(), m.front()["margin"].get<double>() + 1.0) << m.back().dump();
}

// The weighting effect through the CLI: 24 short answers and 2 long ones (300 bytes), packed
// together, trained for the same steps from the same init with --weighting token and sequence;
// eval-loss by output offset shows token weighting learned the long answers' late positions better
// (under sequence weighting each of their tokens weighs ~1/30 of a short answer's).
TEST_F(TrainCli, TokenWeightingLearnsLongAnswersBetterThanSequenceWeighting) {
  uint64_t state = 12345;
  auto letter = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return char('a' + (state >> 33) % 26);
  };
  std::string chats;
  auto add = [&](const std::string& u, int len) {
    std::string a;
    for (int i = 0; i < len; i++) a += (i % 6 == 5) ? ' ' : letter();
    chats += json{{"messages", {{{"role", "user"}, {"content", u}}, {{"role", "assistant"}, {"content", a}}}}}
                 .dump() + "\n";
  };
  for (int k = 0; k < 24; k++) add(fmt::format("s{}", k), 10);
  for (int k = 0; k < 2; k++) add(fmt::format("long{}", k), 300);
  const fs::path w = dir_ / "weighting";
  fs::create_directories(w);
  lw::io::write_file_atomic(w / "mix.jsonl", chats);
  auto p = run_longwriter(fmt::format("pack --in {} --tokenizer {} --format chatml --max-len 512 --out {} "
                                      "--no-reference --threads 1",
                                      q(w / "mix.jsonl"), q(dir_ / "tok"), q(w / "pack")));
  ASSERT_EQ(p.exit_code, 0) << p.out;
  json res[2];
  const char* modes[] = {"token", "sequence"};
  for (int i = 0; i < 2; i++) {
    auto t = run_longwriter(fmt::format("train --data {} --model {} --out {} --weighting {} --epochs 40 "
                                        "--batch-packs 2 --lr 1e-2 --weight-decay 0 --warmup-steps 2 --seed 5 "
                                        "--threads 1 --log-every 0",
                                        q(w / "pack"), q(dir_ / "init" / "config.json"), q(w / modes[i]), modes[i]));
    ASSERT_EQ(t.exit_code, 0) << t.out;
    auto e = run_longwriter(fmt::format("eval-loss --data {} --model {} --by output --buckets 0 16 64 --json {} "
                                        "--threads 1",
                                        q(w / "pack"), q(w / modes[i]), q(w / (std::string(modes[i]) + ".json"))));
    ASSERT_EQ(e.exit_code, 0) << e.out;
    std::printf("--weighting %s\n%s", modes[i], e.out.c_str());
    res[i] = json::parse(lw::io::read_file(w / (std::string(modes[i]) + ".json")));
  }
  auto late = [](const json& r) {
    for (const auto& b : r["buckets"])
      if (b["lo"] == 64) return b["loss"].get<double>();
    return -1.0;
  };
  ASSERT_GT(late(res[0]), 0.0) << res[0].dump();
  EXPECT_LT(late(res[0]), late(res[1])) << res[0].dump() << "\n" << res[1].dump();
}

TEST_F(TrainCli, BadInputsExitWithTwoAndNameTheProblem) {
  auto missing = run_longwriter(fmt::format("train --data /nonexistent/lw_pack --model {} --out {}",
                                            q(dir_ / "init" / "config.json"), q(dir_ / "bad1")));
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.out.find("/nonexistent/lw_pack"), std::string::npos) << missing.out;

  json cfg = model_config();
  cfg["hidden_size"] = "wide";
  fs::create_directories(dir_ / "badcfg");
  lw::io::write_file_atomic(dir_ / "badcfg" / "config.json", cfg.dump());
  auto bad = run_longwriter(fmt::format("train --data {} --model {} --out {}", q(dir_ / "pack"),
                                        q(dir_ / "badcfg" / "config.json"), q(dir_ / "bad2")));
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("hidden_size"), std::string::npos) << bad.out;

  // A vocabulary smaller than the pack's tokenizer.
  cfg = model_config();
  cfg["vocab_size"] = 100;
  lw::io::write_file_atomic(dir_ / "badcfg" / "config.json", cfg.dump());
  auto small = run_longwriter(fmt::format("train --data {} --model {} --out {}", q(dir_ / "pack"),
                                          q(dir_ / "badcfg" / "config.json"), q(dir_ / "bad3")));
  EXPECT_EQ(small.exit_code, 2) << small.out;
  EXPECT_NE(small.out.find("vocabulary"), std::string::npos) << small.out;

  auto kv = run_longwriter(fmt::format("generate --model {} --prompt-ids '1 2' --kv-cache int8", q(dir_ / "run")));
  EXPECT_EQ(kv.exit_code, 2) << kv.out;
  EXPECT_NE(kv.out.find("--kv-cache"), std::string::npos) << kv.out;

  auto weighting = run_longwriter(fmt::format("train --data {} --model {} --out {} --weighting average",
                                              q(dir_ / "pack"), q(dir_ / "init" / "config.json"), q(dir_ / "bad4")));
  EXPECT_EQ(weighting.exit_code, 2) << weighting.out;
  EXPECT_NE(weighting.out.find("average"), std::string::npos) << weighting.out;

  auto eval = run_longwriter(fmt::format("eval-loss --data {} --model {}", q(dir_ / "pack"),
                                         q(dir_ / "init" / "config.json")));
  EXPECT_EQ(eval.exit_code, 2) << eval.out;

  fs::create_directories(dir_ / "badpairs");
  lw::io::write_file_atomic(dir_ / "badpairs" / "pairs.jsonl", "{\"prompt\": \"x\"}\n");
  auto dpo = run_longwriter(fmt::format("dpo --pairs {} --model {} --out {} --format chatml",
                                        q(dir_ / "badpairs" / "pairs.jsonl"), q(dir_ / "run"), q(dir_ / "bad5")));
  EXPECT_EQ(dpo.exit_code, 2) << dpo.out;
  EXPECT_NE(dpo.out.find("pairs.jsonl:1"), std::string::npos) << dpo.out;
}

}  // namespace
