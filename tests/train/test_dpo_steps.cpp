// DPO on step-level pairs (`agentwrite pairs`): the prefix messages are the prompt and only the
// continuation is labelled; the loss equals a float64 computation by hand (the plain reference
// forward of tests/support/ref_forward.hpp, then the sigmoid loss in double); several pairs packed
// in one row give the same loss and gradient as one row per pair.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "data/fake_tokenizer.hpp"
#include "engine/model.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "support/ref_forward.hpp"
#include "tiny_model.hpp"
#include "tokenizer/chat_format.hpp"
#include "train/checkpoint.hpp"
#include "train/dpo.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace fs = std::filesystem;

namespace lw::train {
namespace {

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("lw_dpo_steps_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Step pairs as `agentwrite pairs` makes them: one long prefix (instruction, plan, text so far)
// shared by both sides, short continuations. Pair k: prefix of 10 + k tokens.
std::vector<DpoPair> step_pairs(int V) {
  std::vector<DpoPair> out;
  for (int k = 0; k < 5; k++) {
    DpoPair p;
    std::vector<int32_t> prefix;
    for (int i = 0; i < 10 + k; i++) prefix.push_back((7 * i + 3 * k + 1) % V);
    std::vector<int32_t> good = {(5 + k) % V, 11, 12, 2}, bad = {20 % V, (21 + k) % V, 2};
    for (int side = 0; side < 2; side++) {
      auto& ids = side == 0 ? p.chosen : p.rejected;
      auto& mask = side == 0 ? p.chosen_mask : p.rejected_mask;
      const auto& resp = side == 0 ? good : bad;
      ids = prefix;
      ids.insert(ids.end(), resp.begin(), resp.end());
      mask.assign(prefix.size(), 0);
      mask.insert(mask.end(), resp.size(), 1);
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Summed log-probability of the labelled tokens, in double with the plain reference forward.
double ref_logp(const engine::Model& m, const std::vector<int32_t>& ids, const std::vector<uint8_t>& mask) {
  lw::testing::RefRunner r(m);
  double lp = 0;
  for (size_t t = 0; t + 1 < ids.size(); t++) {
    const auto logits = r.feed(ids[t]);
    if (!mask[t + 1]) continue;
    double mx = *std::max_element(logits.begin(), logits.end()), z = 0;
    for (double l : logits) z += std::exp(l - mx);
    lp += logits[ids[t + 1]] - mx - std::log(z);
  }
  return lp;
}

TEST(DpoSteps, LossEqualsAFloat64ComputationByHand) {
  log::set_level(log::Level::warn);
  auto cfg = testing::tiny_llama(32, 32, 2);
  TrainModel<float> ref(cfg), policy(cfg);
  ref.init_random(11);
  policy.init_random(12);  // another model: the loss is not log 2
  const auto pairs = step_pairs(cfg.V);
  fs::path dir = temp_dir("f64");
  save_model_dir(ref, dir / "ref", std::nullopt);
  save_model_dir(policy, dir / "policy", std::nullopt);
  auto em_ref = engine::load_model(dir / "ref");
  auto em_pol = engine::load_model(dir / "policy");
  const double beta = 0.5;
  double hand_loss = 0;
  std::vector<std::pair<double, double>> hand_ref;
  for (const auto& p : pairs) {
    const double rc = ref_logp(*em_ref, p.chosen, p.chosen_mask),
                 rr = ref_logp(*em_ref, p.rejected, p.rejected_mask);
    const double pc = ref_logp(*em_pol, p.chosen, p.chosen_mask),
                 pr = ref_logp(*em_pol, p.rejected, p.rejected_mask);
    hand_ref.emplace_back(rc, rr);
    const double z = beta * ((pc - rc) - (pr - rr));
    hand_loss += std::log1p(std::exp(-z)) / static_cast<double>(pairs.size());
  }
  auto ref_lp = reference_logps(ref, pairs, dir / "ref_logps.json", "ref");
  for (size_t i = 0; i < pairs.size(); i++) {
    EXPECT_NEAR(ref_lp[i].first, hand_ref[i].first, 1e-4 * std::fabs(hand_ref[i].first));
    EXPECT_NEAR(ref_lp[i].second, hand_ref[i].second, 1e-4 * std::fabs(hand_ref[i].second));
  }
  std::vector<size_t> all = {0, 1, 2, 3, 4};
  policy.zero_grad();
  DpoStep st = dpo_accumulate_packed(policy, pack_dpo_pairs(pairs, all, 64), ref_lp, beta);
  EXPECT_GT(std::fabs(hand_loss - std::log(2.0)), 1e-3) << "a test at the reference would prove little";
  EXPECT_NEAR(st.loss, hand_loss, 1e-5);
  fs::remove_all(dir);
}

TEST(DpoSteps, PackedEqualsUnpacked) {
  log::set_level(log::Level::warn);
  auto cfg = testing::tiny_llama(32, 32, 2);
  TrainModel<float> ref(cfg), policy(cfg);
  ref.init_random(21);
  policy.init_random(22);
  const auto pairs = step_pairs(cfg.V);
  std::vector<std::pair<double, double>> ref_lp;
  for (const auto& p : pairs) ref_lp.push_back(pair_logps(ref, dpo_row(p)));
  std::vector<size_t> all = {0, 1, 2, 3, 4};
  const auto packs = pack_dpo_pairs(pairs, all, 70);
  ASSERT_LT(packs.size(), pairs.size()) << "several pairs per row";
  ASSERT_GT(packs.size(), 1u);
  for (const auto& pk : packs) EXPECT_EQ(pk.row.n_seq(), 2 * static_cast<int>(pk.pairs.size()));
  // Log-probabilities of a packed row are those of each pair alone.
  const auto lps = pack_logps(ref, packs[0]);
  for (size_t k = 0; k < packs[0].pairs.size(); k++) {
    EXPECT_NEAR(lps[k].first, ref_lp[packs[0].pairs[k]].first, 1e-4);
    EXPECT_NEAR(lps[k].second, ref_lp[packs[0].pairs[k]].second, 1e-4);
  }
  policy.zero_grad();
  DpoStep packed = dpo_accumulate_packed(policy, packs, ref_lp, 0.3);
  const std::vector<float> g_packed = policy.grads;
  policy.zero_grad();
  std::vector<const DpoPair*> batch;
  for (const auto& p : pairs) batch.push_back(&p);
  DpoStep single = dpo_accumulate(policy, batch, ref_lp, 0.3);
  EXPECT_NEAR(packed.loss, single.loss, 1e-6);
  EXPECT_NEAR(packed.margin, single.margin, 1e-5);
  EXPECT_EQ(packed.accuracy, single.accuracy);
  double err = 0, scale = 0;
  for (size_t i = 0; i < g_packed.size(); i++) {
    err = std::max(err, static_cast<double>(std::fabs(g_packed[i] - policy.grads[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(policy.grads[i])));
  }
  EXPECT_GT(scale, 0.0);
  EXPECT_LT(err / scale, 1e-4);
  // And training with --pack-tokens follows the same path as without.
  std::vector<double> losses[2];
  for (int mode = 0; mode < 2; mode++) {
    TrainModel<float> m(cfg);
    m.params = policy.params;
    DpoOptions o;
    o.out = temp_dir(mode ? "packed" : "single");
    o.epochs = 2;
    o.batch_pairs = 5;
    o.pack_tokens = mode ? 70 : 0;
    o.adamw.lr = 1e-3;
    o.log_every = 0;
    for (const auto& s : dpo_train(m, pairs, ref_lp, o)) losses[mode].push_back(s.loss);
    fs::remove_all(o.out);
  }
  ASSERT_EQ(losses[0].size(), 2u);
  for (size_t i = 0; i < 2; i++) EXPECT_NEAR(losses[0][i], losses[1][i], 1e-5);
}

// A pair line of `agentwrite pairs` (prefix messages), the TRL conversational form and the plain
// text form of the same pair load to the same tokens, labelled on the continuation only.
TEST(DpoSteps, StepPairLinesRenderThePrefixAsThePrompt) {
  auto fake = lw::testing::FakeTokenizer::llama3();
  const tok::Tokenizer* tok = &fake;
  auto fmt = tok::ChatFormat::by_name("llama3", fake);
  fs::path dir = temp_dir("load");
  const std::string prefix = "Write part 2 of the plan. Text so far: the roads of Rome.";
  const std::string chosen = "The roads ran straight.", rejected = "Roads roads roads.";
  {
    io::JsonlWriter w(dir / "pairs.jsonl");
    w.write({{"type", "step"},
             {"prefix", {{{"role", "user"}, {"content", prefix}}}},
             {"chosen", chosen},
             {"rejected", rejected}});
    w.write({{"prompt", {{{"role", "user"}, {"content", prefix}}}},
             {"chosen", {{{"role", "assistant"}, {"content", chosen}}}},
             {"rejected", {{{"role", "assistant"}, {"content", rejected}}}}});
    w.write({{"prompt", prefix}, {"chosen", chosen}, {"rejected", rejected}});
    w.commit();
  }
  auto pairs = load_dpo_pairs(dir / "pairs.jsonl", tok, &fmt);
  ASSERT_EQ(pairs.size(), 3u);
  std::vector<tok::ChatMessage> msgs = {{"user", prefix}, {"assistant", chosen}};
  const auto rc = fmt.render(msgs);
  const std::vector<tok::ChatMessage> prompt_only = {{"user", prefix}};
  const size_t plen = fmt.render_prompt(prompt_only).size();
  EXPECT_EQ(pairs[0].chosen, std::vector<int32_t>(rc.ids.begin(), rc.ids.end()));
  for (size_t t = 0; t < plen; t++) EXPECT_EQ(pairs[0].chosen_mask[t], 0) << t;
  EXPECT_EQ(pairs[0].chosen_mask[plen], 1);
  for (int i = 1; i < 3; i++) {
    EXPECT_EQ(pairs[i].chosen, pairs[0].chosen);
    EXPECT_EQ(pairs[i].rejected, pairs[0].rejected);
    EXPECT_EQ(pairs[i].chosen_mask, pairs[0].chosen_mask);
    EXPECT_EQ(pairs[i].rejected_mask, pairs[0].rejected_mask);
  }
  {
    io::JsonlWriter w(dir / "bad.jsonl");
    w.write({{"prefix", "not messages"}, {"chosen", chosen}, {"rejected", rejected}});
    w.commit();
  }
  try {
    load_dpo_pairs(dir / "bad.jsonl", tok, &fmt);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("prefix"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lw::train
