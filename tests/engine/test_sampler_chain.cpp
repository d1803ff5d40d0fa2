// The sampler chain (engine/sampler.hpp): every stage against an independent float64 computation
// on a tiny random model's logits, the chain order, and the loop a greedy tiny model falls into
// without penalties.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <set>

#include "engine/generate.hpp"
#include "engine/model.hpp"
#include "engine/sampler.hpp"
#include "engine_test_util.hpp"
#include "util/error.hpp"

using namespace lw::engine;
using namespace lw::engine::testing;

namespace {

// Logits of a tiny random model after `prompt` (V = 97).
std::vector<float> model_logits(const std::vector<int32_t>& prompt, uint64_t seed = 5) {
  auto m = make_random_model(tiny_llama(), seed, DType::f32, 0.5f);
  Workspace ws;
  std::vector<float> logits;
  forward(*m, Batch::single(prompt), nullptr, ws, logits);
  return logits;
}

using Vec = std::vector<double>;

Vec to_f64(const std::vector<float>& v) {
  return Vec(v.begin(), v.end());
}

// ---- the reference stages, in float64 ----

void ref_bias(Vec& l, const std::vector<std::pair<int32_t, float>>& bias) {
  for (auto [id, b] : bias) l[id] += b;
}

void ref_repetition(Vec& l, const std::vector<int32_t>& window, double pen) {
  std::set<int32_t> distinct(window.begin(), window.end());
  for (int32_t id : distinct) l[id] = l[id] > 0 ? l[id] / pen : l[id] * pen;
}

void ref_freq_presence(Vec& l, const std::vector<int32_t>& window, double f, double p) {
  std::map<int32_t, int> count;
  for (int32_t id : window) ++count[id];
  for (auto [id, c] : count) l[id] -= c * f + (c > 0 ? p : 0.0);
}

// Quadratic DRY straight from the definition.
void ref_dry(Vec& l, const std::vector<int32_t>& h, double mult, double base, int allowed,
             const std::set<int32_t>& breakers) {
  const int n = static_cast<int>(h.size());
  std::map<int32_t, int> longest;
  for (int i = 1; i < n; ++i) {
    int L = 0;
    while (L < i && h[i - 1 - L] == h[n - 1 - L] && !breakers.count(h[n - 1 - L])) ++L;
    if (L >= allowed) longest[h[i]] = std::max(longest[h[i]], L);
  }
  for (auto [id, L] : longest) l[id] -= mult * std::pow(base, L - allowed);
}

// Probabilities after top-k, temperature, min-p and top-p (0 for dropped tokens).
Vec ref_probs(const Vec& l, int top_k, double temp, double min_p, double top_p) {
  const int V = static_cast<int>(l.size());
  std::vector<int> order(V);
  for (int i = 0; i < V; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
  std::vector<int> keep(order.begin(), order.begin() + (top_k > 0 ? std::min(top_k, V) : V));
  Vec w(V, 0.0);
  double sum = 0;
  for (int i : keep) sum += (w[i] = std::exp(l[i] / temp));
  const double top = w[keep[0]];
  std::vector<int> kept2;
  for (int i : keep)
    if (w[i] / sum >= min_p * top / sum) kept2.push_back(i);
  sum = 0;
  for (int i : kept2) sum += w[i];
  std::vector<int> kept3;
  double cum = 0;
  for (int i : kept2) {
    kept3.push_back(i);
    cum += w[i] / sum;
    if (cum >= top_p) break;
  }
  Vec p(V, 0.0);
  sum = 0;
  for (int i : kept3) sum += w[i];
  for (int i : kept3) p[i] = w[i] / sum;
  return p;
}

void expect_near_all(const std::vector<float>& got, const Vec& want, double tol = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << "token " << i;
}

// Empirical frequencies of n draws against p.
void expect_frequencies(Sampler& s, const std::vector<float>& logits, const Vec& p, int n = 6000) {
  std::map<int32_t, int> hits;
  for (int i = 0; i < n; ++i) ++hits[s.sample(logits)];
  for (auto [id, c] : hits) EXPECT_GT(p[id], 0.0) << "token " << id << " was dropped by the reference";
  for (size_t i = 0; i < p.size(); ++i)
    EXPECT_NEAR(hits[static_cast<int32_t>(i)] / double(n), p[i], 0.025) << i;
}

const std::vector<int32_t> kPrompt = {3, 17, 17, 40, 5, 17, 88, 3, 40, 5};

}  // namespace

TEST(SamplerChain, LogitBiasAddsToTheNamedTokens) {
  auto l = model_logits(kPrompt);
  std::vector<std::pair<int32_t, float>> bias = {{4, 100.0f}, {9, -100.0f}, {4, -0.5f}};
  Vec want = to_f64(l);
  ref_bias(want, bias);
  auto got = l;
  apply_logit_bias(got, bias);
  expect_near_all(got, want);
  EXPECT_EQ(Sampler({.temperature = 0.0f, .logit_bias = {{60, 100.0f}}}).sample(l), 60);
  EXPECT_THROW(apply_logit_bias(got, std::vector<std::pair<int32_t, float>>{{97, 1.0f}}), lw::InputError);
}

TEST(SamplerChain, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  auto l = model_logits(kPrompt);
  Vec want = to_f64(l);
  ref_repetition(want, kPrompt, 1.3);
  auto got = l;
  std::vector<int32_t> scratch;
  apply_repetition_penalty(got, kPrompt, 1.3f, scratch);
  expect_near_all(got, want);
  EXPECT_TRUE(std::all_of(scratch.begin(), scratch.end(), [](int32_t x) { return x == 0; }));
  // Through the sampler: the prompt counts, the window is the last penalty_last_n tokens.
  Sampler s({.repetition_penalty = 1.3f, .penalty_last_n = 4}, kPrompt);
  s.sample(l);
  Vec want4 = to_f64(l);
  ref_repetition(want4, {88, 3, 40, 5}, 1.3);
  expect_near_all(std::vector<float>(s.adjusted().begin(), s.adjusted().end()), want4);
}

TEST(SamplerChain, FrequencyAndPresencePenaltiesCountReplyTokensOnly) {
  auto l = model_logits(kPrompt);
  SamplingParams p{.frequency_penalty = 0.7f, .presence_penalty = 0.4f};
  Sampler s(p, kPrompt);
  std::vector<int32_t> reply;
  for (int step = 0; step < 6; ++step) {
    const int32_t id = s.sample(l);
    Vec want = to_f64(l);
    ref_freq_presence(want, reply, 0.7, 0.4);
    expect_near_all(std::vector<float>(s.adjusted().begin(), s.adjusted().end()), want);
    EXPECT_EQ(id, std::max_element(want.begin(), want.end()) - want.begin());
    reply.push_back(id);
  }
  // The window: only the last 2 reply tokens count.
  Sampler w({.frequency_penalty = 0.7f, .presence_penalty = 0.4f, .penalty_last_n = 2}, kPrompt);
  std::vector<int32_t> r2;
  for (int step = 0; step < 5; ++step) r2.push_back(w.sample(l));
  w.sample(l);
  Vec want = to_f64(l);
  ref_freq_presence(want, {r2[3], r2[4]}, 0.7, 0.4);
  expect_near_all(std::vector<float>(w.adjusted().begin(), w.adjusted().end()), want);
}

TEST(SamplerChain, DryMatchesTheQuadraticDefinition) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 40; ++trial) {
    // Histories over a small alphabet repeat a lot.
    std::vector<int32_t> h(5 + rng() % 60);
    for (auto& x : h) x = static_cast<int32_t>(rng() % 5);
    std::vector<char> mask(97, 0);
    std::set<int32_t> breakers;
    if (trial % 2) {
      mask[4] = 1;
      breakers.insert(4);
    }
    DryParams p{.multiplier = 0.8f, .base = 1.75f, .allowed_length = 1 + trial % 3, .penalty_last_n = -1};
    auto l = model_logits({1, 2, 3});
    Vec want = to_f64(l);
    ref_dry(want, h, 0.8, 1.75, p.allowed_length, breakers);
    auto got = l;
    apply_dry(got, h, p, mask);
    expect_near_all(got, want);
    // The window: only the last 12 tokens.
    p.penalty_last_n = 12;
    got = l;
    apply_dry(got, h, p, mask);
    want = to_f64(l);
    ref_dry(want, std::vector<int32_t>(h.end() - std::min<size_t>(12, h.size()), h.end()), 0.8, 1.75,
            p.allowed_length, breakers);
    expect_near_all(got, want);
  }
}

TEST(SamplerChain, MinPDropsTokensBelowAFractionOfTheTopProbability) {
  auto l = model_logits(kPrompt);
  for (double temp : {0.7, 1.5}) {
    Sampler s({.temperature = static_cast<float>(temp), .seed = 11, .min_p = 0.2f});
    expect_frequencies(s, l, ref_probs(to_f64(l), 0, temp, 0.2, 1.0));
  }
}

TEST(SamplerChain, TopKTemperatureTopPMatchTheReference) {
  auto l = model_logits(kPrompt);
  Sampler s({.temperature = 0.8f, .top_k = 6, .top_p = 0.9f, .seed = 4});
  expect_frequencies(s, l, ref_probs(to_f64(l), 6, 0.8, 0.0, 0.9));
  Sampler t({.temperature = 1.2f, .top_k = 0, .top_p = 0.6f, .seed = 5, .min_p = 0.05f});
  expect_frequencies(t, l, ref_probs(to_f64(l), 0, 1.2, 0.05, 0.6));
}

TEST(SamplerChain, TheWholeChainRunsInItsDocumentedOrder) {
  auto l = model_logits(kPrompt);
  // Bias before the repetition penalty: a token pushed positive by the bias is divided, not
  // multiplied. DRY after the penalties: it subtracts from the penalised logit.
  SamplingParams p{.temperature = 0.9f,
                   .top_k = 12,
                   .top_p = 0.85f,
                   .seed = 21,
                   .min_p = 0.1f,
                   .repetition_penalty = 1.4f,
                   .frequency_penalty = 0.3f,
                   .presence_penalty = 0.2f,
                   .dry = {.multiplier = 0.5f, .base = 2.0f, .allowed_length = 1},
                   .logit_bias = {{5, 3.0f}, {40, -2.0f}, {17, 1.0f}}};
  std::vector<int32_t> reply = {17, 40, 5};
  std::vector<int32_t> prompt_and_reply = kPrompt;
  prompt_and_reply.insert(prompt_and_reply.end(), reply.begin(), reply.end());
  Vec want = to_f64(l);
  ref_bias(want, p.logit_bias);
  ref_repetition(want, prompt_and_reply, 1.4);
  ref_freq_presence(want, reply, 0.3, 0.2);
  ref_dry(want, prompt_and_reply, 0.5, 2.0, 1, {});
  // Another order gives other logits (so the comparison below tells orders apart).
  Vec other = to_f64(l);
  ref_repetition(other, prompt_and_reply, 1.4);
  ref_bias(other, p.logit_bias);
  ref_freq_presence(other, reply, 0.3, 0.2);
  ref_dry(other, prompt_and_reply, 0.5, 2.0, 1, {});
  double diff = 0;
  for (size_t i = 0; i < want.size(); ++i) diff = std::max(diff, std::fabs(want[i] - other[i]));
  EXPECT_GT(diff, 0.1);

  // A sampler with history prompt + reply: the reply tokens are forced through one-hot logits.
  auto warmed = [&](uint64_t seed) {
    SamplingParams q = p;
    q.seed = seed;
    Sampler x(q, kPrompt);
    for (int32_t id : reply) {
      std::vector<float> onehot(l.size(), -1e9f);
      onehot[static_cast<size_t>(id)] = 1e9f;
      EXPECT_EQ(x.sample(onehot), id);
    }
    return x;
  };
  Vec probs = ref_probs(want, 12, 0.9, 0.1, 0.85);
  std::map<int32_t, int> hits;
  const int n = 6000;
  for (int i = 0; i < n; ++i) {
    Sampler x = warmed(1000 + static_cast<uint64_t>(i));
    ++hits[x.sample(l)];
    if (i == 0) expect_near_all(std::vector<float>(x.adjusted().begin(), x.adjusted().end()), want, 1e-4);
  }
  for (auto [id, c] : hits) EXPECT_GT(probs[id], 0.0) << "token " << id;
  for (size_t i = 0; i < probs.size(); ++i)
    EXPECT_NEAR(hits[static_cast<int32_t>(i)] / double(n), probs[i], 0.025) << i;
}

namespace {

// 4-grams of `ids` that occurred before (a loop repeats nearly every one).
int repeated_4grams(const std::vector<int32_t>& ids) {
  std::set<std::vector<int32_t>> seen;
  int repeats = 0;
  for (size_t i = 0; i + 4 <= ids.size(); ++i)
    if (!seen.insert(std::vector<int32_t>(ids.begin() + i, ids.begin() + i + 4)).second) ++repeats;
  return repeats;
}

}  // namespace

TEST(SamplerChain, PenaltiesAndDryBreakTheLoopOfAGreedyTinyModel) {
  // Small weights: greedy decoding falls into a cycle (95 35 63 95 35 63 ... from this seed).
  auto m = make_random_model(tiny_llama(), 5, DType::f32, 0.05f);
  const std::vector<int32_t> prompt = {5, 6, 7, 8};
  GenerateOptions o;
  o.max_new_tokens = 120;
  const auto plain = generate(*m, nullptr, prompt, o).tokens;
  const int loops = repeated_4grams(plain);
  EXPECT_GT(loops, 80) << "the greedy tiny model is expected to loop";
  o.sampling.repetition_penalty = 1.5f;
  const int with_rep = repeated_4grams(generate(*m, nullptr, prompt, o).tokens);
  o.sampling.repetition_penalty = 1.0f;
  o.sampling.dry = {.multiplier = 1.0f, .base = 1.75f, .allowed_length = 2};
  const int with_dry = repeated_4grams(generate(*m, nullptr, prompt, o).tokens);
  o.sampling.dry = {};
  o.sampling.frequency_penalty = 1.0f;
  o.sampling.presence_penalty = 0.5f;
  const int with_freq = repeated_4grams(generate(*m, nullptr, prompt, o).tokens);
  EXPECT_LT(with_rep * 3, loops) << with_rep;
  EXPECT_LT(with_dry * 10, loops) << with_dry;
  EXPECT_LT(with_freq * 4, loops) << with_freq;
  std::cout << "repeated 4-grams in 120 greedy tokens: none " << loops << ", repetition_penalty 1.5 "
            << with_rep << ", DRY " << with_dry << ", frequency/presence " << with_freq << "\n";
}
