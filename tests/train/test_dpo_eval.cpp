// DPO (loss at the reference, learning the preference, reference cache) and eval-loss buckets, and
// the token-vs-sequence weighting effect on a short/long mix.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "io/file.hpp"
#include "tiny_model.hpp"
#include "train/dpo.hpp"
#include "train/eval.hpp"
#include "train/trainer.hpp"
#include "util/log.hpp"

namespace fs = std::filesystem;

namespace lw::train {
namespace {

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("lw_dpo_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

DpoPair make_pair(int k) {
  DpoPair p;
  std::vector<int32_t> prompt = {1, 3 + k};
  std::vector<int32_t> good = {10 + k, 11, 12, 2}, bad = {20, 21 + k, 22, 2};
  p.chosen = prompt;
  p.chosen.insert(p.chosen.end(), good.begin(), good.end());
  p.rejected = prompt;
  p.rejected.insert(p.rejected.end(), bad.begin(), bad.end());
  p.chosen_mask = {0, 0, 1, 1, 1, 1};
  p.rejected_mask = {0, 0, 1, 1, 1, 1};
  return p;
}

TEST(Dpo, LearnsThePreferenceFromTheReference) {
  log::set_level(log::Level::warn);
  auto cfg = testing::tiny_llama(32, 32, 2);
  TrainModel<float> ref(cfg), policy(cfg);
  ref.init_random(4);
  policy.params = ref.params;
  std::vector<DpoPair> pairs = {make_pair(0), make_pair(1), make_pair(2), make_pair(3)};
  fs::path out = temp_dir("learn");
  auto ref_lp = reference_logps(ref, pairs, out / "ref_logps.json", "ref-a");
  ASSERT_EQ(ref_lp.size(), 4u);
  // Packed chosen|rejected gives the same log-probs as each sequence alone would: the rejected
  // segment does not see the chosen one.
  {
    DpoPair lone = pairs[1];
    Row row = dpo_row(lone);
    EXPECT_EQ(row.n_seq(), 2);
    auto lp = pair_logps(ref, row);
    EXPECT_NEAR(lp.first, ref_lp[1].first, 1e-4);
    EXPECT_NEAR(lp.second, ref_lp[1].second, 1e-4);
  }
  // At the reference the loss is log 2 and the margin 0.
  std::vector<const DpoPair*> batch = {&pairs[0], &pairs[1]};
  policy.zero_grad();
  DpoStep s0 = dpo_accumulate(policy, batch, {ref_lp[0], ref_lp[1]}, 0.5);
  EXPECT_NEAR(s0.loss, std::log(2.0), 1e-5);
  EXPECT_NEAR(s0.margin, 0.0, 1e-5);
  DpoOptions o;
  o.out = out;
  o.epochs = 30;
  o.batch_pairs = 2;
  o.beta = 0.5;
  o.adamw.lr = 3e-3;
  o.adamw.weight_decay = 0;
  o.log_every = 0;
  auto hist = dpo_train(policy, pairs, ref_lp, o);
  EXPECT_LT(hist.back().loss, 0.2);
  EXPECT_DOUBLE_EQ(hist.back().accuracy, 1.0);
  EXPECT_GT(hist.back().margin, 1.0);
  EXPECT_TRUE(fs::exists(out / "model.safetensors"));
  // The cache is reused for the same pairs and reference id (even with other weights) and
  // recomputed for another reference id.
  auto cached = reference_logps(policy, pairs, out / "ref_logps.json", "ref-a");
  EXPECT_EQ(cached, ref_lp);
  // An edited cache (its sha256 left as it was) is recomputed, not used (issue 26).
  {
    auto j = nlohmann::json::parse(lw::io::read_file(out / "ref_logps.json"));
    j["logps"][0][0] = 12345.0;
    lw::io::write_file_atomic(out / "ref_logps.json", j.dump());
    auto again = reference_logps(policy, pairs, out / "ref_logps.json", "ref-a");
    EXPECT_NE(again[0].first, 12345.0) << "the edited cache was used";
    ASSERT_EQ(again.size(), ref_lp.size());
  }
  auto fresh = reference_logps(policy, pairs, out / "ref_logps.json", "ref-b");
  EXPECT_NE(fresh, ref_lp);
  fs::remove_all(out);
}

TEST(EvalLoss, BucketsByOutputOffsetAndSequencePosition) {
  // One sequence: prompt of 3, then 5 labelled tokens -> targets at positions 2..6.
  std::vector<int32_t> tok = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<int32_t> lab = {-100, -100, -100, 4, 5, 6, 7, 8};
  Row row = row_from_labels(tok, {0, 8}, lab, {});
  std::vector<float> nll = {0, 0, 1, 2, 3, 4, 5, 0};
  EvalResult by_out, by_seq;
  accumulate_row(by_out, row, nll, BucketBy::output, {0, 2, 4});
  accumulate_row(by_seq, row, nll, BucketBy::sequence, {0, 5});
  EXPECT_EQ(by_out.targets, 5);
  EXPECT_DOUBLE_EQ(by_out.loss(), 3.0);
  EXPECT_EQ(by_out.buckets[0].targets, 2);  // offsets 0, 1
  EXPECT_DOUBLE_EQ(by_out.buckets[0].loss(), 1.5);
  EXPECT_EQ(by_out.buckets[2].targets, 1);  // offset 4
  EXPECT_DOUBLE_EQ(by_out.buckets[2].loss(), 5.0);
  // Sequence positions of the targets are 3..7: bucket [0,5) holds 3, 4.
  EXPECT_EQ(by_seq.buckets[0].targets, 2);
  EXPECT_EQ(by_seq.buckets[1].targets, 3);
}

// Many short answers and one long one, trained equally long with token vs sequence weighting:
// token weighting learns the long answer's late positions better.
TEST(Weighting, TokenVersusSequenceOnAShortLongMix) {
  log::set_level(log::Level::warn);
  auto cfg = testing::tiny_llama(40, 32, 2);
  cfg.hd = 8;
  cfg.ffn = 64;
  std::vector<Row> seqs;
  for (int k = 0; k < 12; k++) seqs.push_back(testing::random_sequence(8, 3, cfg.V, 500 + k));
  seqs.push_back(testing::random_sequence(130, 3, cfg.V, 999));
  std::vector<Row> packs = {concat_rows({seqs[0], seqs[1], seqs[2], seqs[3], seqs[12]}),
                            concat_rows({seqs[4], seqs[5], seqs[6], seqs[7], seqs[8], seqs[9], seqs[10], seqs[11]})};
  VectorSource src(packs);
  EvalResult res[2];
  for (int mode = 0; mode < 2; mode++) {
    fs::path out = temp_dir(mode ? "seq" : "tok");
    TrainModel<float> m(cfg);
    m.init_random(8);
    TrainOptions o;
    o.out = out;
    o.epochs = 25;
    o.batch_rows = 2;
    o.weighting = mode ? Weighting::sequence : Weighting::token;
    o.adamw.lr = 5e-3;
    o.adamw.weight_decay = 0;
    o.warmup_steps = 2;
    o.log_every = 0;
    o.save_final = false;
    train(m, src, o);
    res[mode] = eval_loss(m, src, BucketBy::output, {0, 8, 64});
    fs::remove_all(out);
  }
  // Bucket 0: short answers (and the long one's start); bucket 2: offsets 64+ of the long answer.
  // The numbers for docs/training.md.
  std::printf("weighting token:\n%sweighting sequence:\n%s", res[0].table().c_str(), res[1].table().c_str());
  ASSERT_GT(res[0].buckets[2].targets, 0);
  EXPECT_LT(res[0].buckets[2].loss(), res[1].buckets[2].loss())
      << "token " << res[0].table() << "sequence " << res[1].table();
}

}  // namespace
}  // namespace lw::train
