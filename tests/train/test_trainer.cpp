// The training loop: a tiny model learns packed synthetic data to near-zero loss and reproduces
// its training outputs with the engine's greedy generation; exact resume; checkpoints.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/generate.hpp"
#include "engine/model.hpp"
#include "io/jsonl.hpp"
#include "tiny_model.hpp"
#include "train/checkpoint.hpp"
#include "train/trainer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace fs = std::filesystem;

namespace lw::train {
namespace {

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("lw_train_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

constexpr int kV = 32;
constexpr int32_t kBos = 1, kEos = 2;

// Task k: prompt [BOS, 3 + k], response a fixed pseudo-random string of length 6 + 2k, then EOS.
std::vector<int32_t> response_of(int k) {
  Rng r(1000 + k);
  std::vector<int32_t> out;
  for (int i = 0; i < 6 + 2 * k; i++) out.push_back(10 + (int32_t)r.below(kV - 10));
  out.push_back(kEos);
  return out;
}

Row task_row(int k) {
  std::vector<int32_t> tok = {kBos, 3 + k}, lab = {-100, -100};
  for (int32_t t : response_of(k)) {
    tok.push_back(t);
    lab.push_back(t);
  }
  return row_from_labels(tok, {0, (int)tok.size()}, lab, {});
}

// Six tasks in two packs of three sequences.
std::vector<Row> task_packs() {
  return {concat_rows({task_row(0), task_row(1), task_row(2)}),
          concat_rows({task_row(3), task_row(4), task_row(5)})};
}

engine::ModelConfig learn_config() {
  engine::ModelConfig c = testing::tiny_llama(kV, 48, 2);
  c.hd = 12;
  c.ffn = 96;
  c.bos_id = kBos;
  c.eos_ids = {kEos};
  return c;
}

TrainOptions learn_options(const fs::path& out) {
  TrainOptions o;
  o.out = out;
  o.epochs = 150;
  o.batch_rows = 2;
  o.adamw.lr = 1e-2;
  o.adamw.weight_decay = 0.0;
  o.warmup_steps = 5;
  o.schedule = Schedule::cosine;
  o.min_lr = 1e-3;
  o.log_every = 0;
  return o;
}

TEST(Trainer, TinyModelLearnsPackedDataAndGeneratesItBack) {
  log::set_level(log::Level::warn);
  fs::path out = temp_dir("learn");
  auto cfg = learn_config();
  TrainModel<float> m(cfg);
  m.init_random(1);
  ASSERT_LE(m.n_params(), 2'000'000);
  VectorSource src(task_packs());
  TrainResult r = train(m, src, learn_options(out));
  ASSERT_TRUE(r.finished);
  EXPECT_GT(r.history.front().token_loss, 2.5);
  EXPECT_LT(r.history.back().token_loss, 0.02) << "final token loss";
  // metrics.jsonl has one record per step.
  EXPECT_EQ((int64_t)io::read_jsonl(out / "metrics.jsonl").size(), r.total_steps);
  // The final model directory loads in the engine and greedy decoding reproduces every response.
  ASSERT_TRUE(fs::exists(out / "config.json"));
  ASSERT_TRUE(fs::exists(out / "model.safetensors"));
  auto em = engine::load_model(out);
  for (int k = 0; k < 6; k++) {
    std::vector<int32_t> prompt = {kBos, 3 + k};
    engine::GenerateOptions go;
    go.max_new_tokens = 40;
    go.stop_ids = {kEos};
    auto g = engine::generate(*em, nullptr, prompt, go);
    EXPECT_EQ(g.tokens, response_of(k)) << "task " << k;
  }
  fs::remove_all(out);
}

// --weighting longwriter: each step's objective is the step's token mean NLL times the number of
// sequences in that step's rows / K, with the rows of a step accumulated as 1, 2 or 4 micro-batches
// (rows k of the four packs hold k + 1 sequences: 1 + 2 + 3 + 4).
TEST(Trainer, LongWriterWeightingIsTokenMeanTimesSequencesOverK) {
  log::set_level(log::Level::warn);
  std::vector<Row> rows;
  for (int k = 0; k < 4; ++k) {
    std::vector<Row> seqs;
    for (int s = 0; s <= k; ++s) seqs.push_back(task_row((k + s) % 6));
    rows.push_back(concat_rows(seqs));
  }
  for (int micro : {1, 2, 4}) {
    fs::path out = temp_dir("lw_weighting_" + std::to_string(micro));
    TrainModel<float> m(learn_config());
    m.init_random(3);
    VectorSource src(rows);
    TrainOptions o = learn_options(out);
    o.epochs = 1, o.batch_rows = micro, o.shuffle = false, o.save_final = false;
    o.weighting = Weighting::longwriter, o.longalign_k = 7.0;
    TrainResult r = train(m, src, o);
    ASSERT_EQ((int)r.history.size(), 4 / micro) << micro;
    for (int s = 0; s < 4 / micro; ++s) {
      int n_seq = 0;
      for (int k = s * micro; k < (s + 1) * micro; ++k) n_seq += k + 1;
      const auto& h = r.history[s];
      EXPECT_NEAR(h.loss, h.token_loss * n_seq / 7.0, 1e-6 * h.loss) << "micro " << micro << " step " << s;
    }
    fs::remove_all(out);
  }
}

TEST(Trainer, ResumeReproducesTheUninterruptedLossCurve) {
  log::set_level(log::Level::warn);
  auto cfg = learn_config();
  VectorSource src(task_packs());
  auto opts = [](const fs::path& out) {
    TrainOptions o = learn_options(out);
    o.epochs = 0;
    o.max_steps = 7;
    o.batch_rows = 1;  // one pack per step: the data cursor crosses epochs
    o.save_every = 2;
    o.save_final = false;
    return o;
  };
  fs::path a = temp_dir("resume_a"), b = temp_dir("resume_b");
  TrainModel<float> ma(cfg);
  ma.init_random(9);
  TrainResult ra = train(ma, src, opts(a));
  ASSERT_EQ(ra.history.size(), 7u);

  // Interrupted run: stops after 5 steps without saving (as if killed); the last checkpoint is 4.
  TrainModel<float> mb(cfg);
  mb.init_random(9);
  TrainOptions ob = opts(b);
  ob.stop_after = 5;
  TrainResult rb1 = train(mb, src, ob);
  ASSERT_EQ(rb1.history.size(), 5u);
  // Resume in a fresh model (random weights differ: the checkpoint must overwrite them).
  TrainModel<float> mc(cfg);
  mc.init_random(12345);
  ob.stop_after = 0;
  TrainResult rb2 = train(mc, src, ob);
  ASSERT_TRUE(rb2.resumed_from.has_value());
  EXPECT_EQ(*rb2.resumed_from, 4);
  ASSERT_EQ(rb2.history.size(), 3u);
  for (size_t i = 0; i < 3; i++) {
    EXPECT_EQ(rb2.history[i].step, ra.history[4 + i].step);
    EXPECT_EQ(rb2.history[i].loss, ra.history[4 + i].loss) << "step " << rb2.history[i].step;
    EXPECT_EQ(rb2.history[i].lr, ra.history[4 + i].lr);
  }
  EXPECT_EQ(ma.params, mc.params);
  // metrics.jsonl of the resumed run holds steps 1..7 exactly once.
  auto recs = io::read_jsonl(b / "metrics.jsonl");
  ASSERT_EQ(recs.size(), 7u);
  for (size_t i = 0; i < recs.size(); i++) EXPECT_EQ(recs[i].get_int("step"), (int64_t)i + 1);
  // ... and nothing else: one line per step, no blank line where the resume cut the file (issue #19).
  {
    std::ifstream in(b / "metrics.jsonl");
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) {
      ++lines;
      EXPECT_FALSE(line.empty()) << "blank line " << lines << " in metrics.jsonl";
    }
    EXPECT_EQ(lines, 7);
  }
  // Only the newest two checkpoints are kept, and no temporary directory is left.
  int n_ckpt = 0;
  for (const auto& e : fs::directory_iterator(b / "checkpoints")) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos);
    n_ckpt += e.is_directory();
  }
  EXPECT_EQ(n_ckpt, 2);
  // Resuming with different options is refused.
  TrainOptions od = opts(b);
  od.weighting = Weighting::sequence;
  TrainModel<float> md(cfg);
  EXPECT_THROW(train(md, src, od), lw::InputError);
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(Trainer, ScheduleWarmupAndDecay) {
  LrSchedule s;
  s.peak = 1.0;
  s.min_lr = 0.1;
  s.warmup_steps = 4;
  s.total_steps = 14;
  EXPECT_DOUBLE_EQ(s.at(0), 0.25);
  EXPECT_DOUBLE_EQ(s.at(3), 1.0);
  EXPECT_DOUBLE_EQ(s.at(4), 1.0);
  EXPECT_NEAR(s.at(9), 0.55, 1e-12);  // cosine midpoint
  EXPECT_NEAR(s.at(14), 0.1, 1e-12);
  s.kind = Schedule::linear;
  EXPECT_NEAR(s.at(9), 0.55, 1e-12);
  EXPECT_NEAR(s.at(6), 1.0 - 0.9 * 0.2, 1e-12);
}

TEST(Optimizer, AdamWDecaysOnlyMatricesAndClips) {
  std::vector<engine::ParamSpec> specs(2);
  specs[0].shape = {2};
  specs[0].weight_decay = true;
  specs[1].shape = {1};
  specs[1].weight_decay = false;
  auto mask = decay_mask(specs);
  ASSERT_EQ(mask, (std::vector<uint8_t>{1, 1, 0}));
  std::vector<float> p = {1.0f, -2.0f, 3.0f}, g = {0.0f, 0.0f, 0.0f};
  AdamWState st;
  AdamWConfig c;
  c.weight_decay = 0.5;
  adamw_update(p.data(), g.data(), st, mask, c, 0.1);
  EXPECT_FLOAT_EQ(p[0], 1.0f * (1 - 0.05f));
  EXPECT_FLOAT_EQ(p[1], -2.0f * (1 - 0.05f));
  EXPECT_FLOAT_EQ(p[2], 3.0f);  // no decay on norms/biases
  // First step with a gradient moves by lr * sign (bias-corrected Adam).
  std::vector<float> q = {0.0f, 0.0f, 0.0f}, h = {2.0f, -3.0f, 0.5f};
  AdamWState s2;
  c.weight_decay = 0;
  adamw_update(q.data(), h.data(), s2, mask, c, 0.01);
  EXPECT_NEAR(q[0], -0.01, 1e-6);
  EXPECT_NEAR(q[1], 0.01, 1e-6);
  std::vector<float> gg = {3.0f, 4.0f};
  EXPECT_DOUBLE_EQ(clip_grad_norm(gg.data(), 2, 1.0), 5.0);
  EXPECT_NEAR(gg[0], 0.6, 1e-5);
  EXPECT_NEAR(gg[1], 0.8, 1e-5);
}

}  // namespace
}  // namespace lw::train
