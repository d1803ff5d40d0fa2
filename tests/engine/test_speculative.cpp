// Speculative decoding (engine/speculative.hpp): n-gram lookup, greedy identity with lookup and a
// draft model, the accept/reject rule keeping the target distribution (against the exact softmax,
// and a deliberately wrong rule that the same statistic rejects), the vocabulary check. The suite
// runs these at every CPU level (LEVELS), so the K+1-row verify forward goes through each level's
// multi-row kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "data/fake_tokenizer.hpp"
#include "engine/generate.hpp"
#include "engine/ops.hpp"
#include "engine/speculative.hpp"
#include "engine_test_util.hpp"
#include "util/error.hpp"

using namespace lw::engine;
using namespace lw::engine::testing;

namespace {

// A prompt with repetition, so that lookup drafts exist from the first step.
std::vector<int32_t> repetitive_prompt(int V) {
  auto base = rand_ids(12, V, 5);
  std::vector<int32_t> p;
  for (int r = 0; r < 3; ++r) p.insert(p.end(), base.begin(), base.end());
  p.insert(p.end(), base.begin(), base.begin() + 4);
  return p;
}

GenerateResult run(const Model& m, std::span<const int32_t> prompt, GenerateOptions o) {
  return generate(m, nullptr, prompt, o);
}

// Pearson's chi-square of counts against probabilities (cells with expected count < 5 pooled);
// df in *df.
double chi_square(const std::vector<int>& counts, const std::vector<double>& p, int n, int* df) {
  double stat = 0, pooled_obs = 0, pooled_exp = 0;
  int cells = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double e = p[i] * n;
    if (e < 5) {
      pooled_obs += counts[i];
      pooled_exp += e;
      continue;
    }
    stat += (counts[i] - e) * (counts[i] - e) / e;
    ++cells;
  }
  if (pooled_exp > 0) {
    stat += (pooled_obs - pooled_exp) * (pooled_obs - pooled_exp) / std::max(pooled_exp, 1e-9);
    ++cells;
  }
  *df = cells - 1;
  return stat;
}

// The chi-square value exceeded with probability ~3e-5 (Wilson-Hilferty, z = 4).
double chi_square_limit(int df) {
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1 - a + 4.0 * std::sqrt(a), 3);
}

std::vector<double> softmax(std::span<const float> logits, float temperature) {
  std::vector<double> p(logits.size());
  const float mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp((logits[i] - mx) / temperature);
  for (auto& x : p) x /= sum;
  return p;
}

// One thread: the models are tiny, and the statistical test runs thousands of generations.
class Speculative : public ::testing::Test {
 protected:
  void SetUp() override {
    threads_ = num_threads();
    set_num_threads(1);
  }
  void TearDown() override { set_num_threads(threads_); }

 private:
  int threads_ = 0;
};

}  // namespace

TEST_F(Speculative, LookupProposesWhatFollowedTheLongestRecentMatch) {
  const std::vector<int32_t> ctx = {1, 2, 3, 4, 9, 2, 3, 5, 7, 1, 2, 3};
  // Suffix "1 2 3" occurred at 0: 4 9 2 follow.
  EXPECT_EQ(lookup_draft(ctx, 3, 3), (std::vector<int32_t>{4, 9, 2}));
  // Only 2-grams: the most recent "2 3" is at 5, followed by 5 7 1 2.
  EXPECT_EQ(lookup_draft(ctx, 4, 2), (std::vector<int32_t>{5, 7, 1, 2}));
  // The draft stops at the end of the context.
  EXPECT_EQ(lookup_draft(std::vector<int32_t>{6, 8, 6}, 4, 3), (std::vector<int32_t>{8, 6}));
  EXPECT_TRUE(lookup_draft(std::vector<int32_t>{1, 2, 3}, 4, 3).empty());
  EXPECT_TRUE(lookup_draft(std::vector<int32_t>{1, 2, 3, 1}, 4, 3, 2).empty());  // 1-grams not allowed
}

TEST_F(Speculative, OptionsAreValidated) {
  auto m = make_random_model(tiny_llama(), 41, DType::f32, 0.3f);
  DraftOptions d;
  d.lookup = true;
  d.draft_max = 0;
  EXPECT_THROW(validate(d), lw::InputError);
  d.draft_max = 4;
  d.draft_min = 5;
  EXPECT_THROW(validate(d), lw::InputError);
  d.draft_min = 1;
  d.draft_model = m.get();
  EXPECT_THROW(validate(d), lw::InputError);  // two sources
}

TEST_F(Speculative, GreedyLookupIsTokenForTokenTheSame) {
  for (DType dt : {DType::f32, DType::q8_0}) {
    auto m = make_random_model(tiny_llama(), 43, dt, 0.6f);
    const auto prompt = repetitive_prompt(97);
    GenerateOptions plain;
    plain.max_new_tokens = 80;
    for (float rep : {1.0f, 1.3f}) {  // with a repetition penalty too (computed from accepted text)
      plain.sampling.repetition_penalty = rep;
      plain.sampling.frequency_penalty = rep > 1 ? 0.2f : 0.0f;
      const auto want = run(*m, prompt, plain);
      for (int k : {1, 4, 8}) {
        GenerateOptions spec = plain;
        spec.draft.lookup = true;
        spec.draft.draft_max = k;
        const auto got = run(*m, prompt, spec);
        EXPECT_EQ(got.tokens, want.tokens) << dtype_name(dt) << " K " << k << " penalty " << rep;
        EXPECT_EQ(got.finish_reason, want.finish_reason);
        EXPECT_GT(got.draft.drafted, 0);
        EXPECT_LE(got.draft.accepted, got.draft.drafted);
        if (rep == 1.0f) {
          EXPECT_GT(got.draft.accepted, 0) << "the repetitive prompt should give accepted drafts";
        }
      }
    }
  }
}

TEST_F(Speculative, GreedyDraftModelIsTokenForTokenTheSame) {
  auto m = make_random_model(tiny_llama(), 45, DType::f32, 0.3f);
  auto other = make_random_model(tiny_llama(), 46, DType::bf16, 0.3f);  // same vocabulary, other weights
  const auto prompt = rand_ids(20, 97, 6);
  GenerateOptions plain;
  plain.max_new_tokens = 50;
  const auto want = run(*m, prompt, plain);
  {  // the target as its own draft: every draft is accepted
    GenerateOptions spec = plain;
    spec.draft.draft_model = m.get();
    const auto got = run(*m, prompt, spec);
    EXPECT_EQ(got.tokens, want.tokens);
    EXPECT_GT(got.draft.drafted, 35);
    EXPECT_EQ(got.draft.accepted, got.draft.drafted);
    EXPECT_LT(got.draft.steps, 15);  // 49 tokens after the first in steps of up to 5
  }
  {  // another model: some drafts rejected, the output unchanged
    GenerateOptions spec = plain;
    spec.draft.draft_model = other.get();
    spec.draft.draft_max = 3;
    const auto got = run(*m, prompt, spec);
    EXPECT_EQ(got.tokens, want.tokens);
    EXPECT_GT(got.draft.rejected(), 0);
  }
}

// The rule itself on fixed logits: the emitted token's distribution is p, for point-mass drafts
// and for drafts drawn from q; accepting every draft (the wrong rule) fails the same test.
TEST_F(Speculative, AcceptRejectKeepsTheTargetDistribution) {
  const std::vector<float> target = {1.0f, 0.2f, -0.5f, 2.0f, 0.0f, -1.0f, 0.7f, 1.5f};
  const std::vector<float> draft = {0.1f, 1.2f, 0.5f, 0.3f, -0.8f, 0.4f, 1.7f, 0.2f};
  const float T = 0.9f;
  const auto p = softmax(target, T);
  const int n = 20000;
  std::mt19937_64 rng(3);
  std::vector<float> q(draft.size()), scratch;
  for (const bool point_mass : {true, false}) {
    Sampler s({.temperature = T, .top_k = 0, .top_p = 1.0f, .seed = 11});
    Sampler qs({.temperature = T, .top_k = 0, .top_p = 1.0f, .seed = 12});
    std::vector<int> counts(p.size()), wrong(p.size());
    std::discrete_distribution<int> pick({0.05, 0.3, 0.05, 0.1, 0.1, 0.1, 0.2, 0.1});
    int accepted = 0;
    for (int i = 0; i < n; ++i) {
      int32_t x;
      std::span<const float> qx;
      if (point_mass) {
        x = pick(rng);  // any draft source; p's share of it is kept
      } else {
        qs.probabilities(draft, q);
        x = qs.draw(q);
        qx = q;
      }
      const Verdict v = verify_draft(s, target, x, qx, scratch);
      EXPECT_TRUE(v.accepted == (v.id == x) || !point_mass);
      accepted += v.accepted;
      ++counts[static_cast<size_t>(v.id)];
      ++wrong[static_cast<size_t>(x)];  // the wrong rule: always accept
    }
    int df = 0;
    const double chi = chi_square(counts, p, n, &df);
    EXPECT_LT(chi, chi_square_limit(df)) << (point_mass ? "point mass" : "sampled draft");
    const double chi_wrong = chi_square(wrong, p, n, &df);
    EXPECT_GT(chi_wrong, chi_square_limit(df)) << "the test cannot tell a wrong rule";
    EXPECT_GT(accepted, n / 10);
    EXPECT_LT(accepted, n);
  }
}

// End to end on a tiny model: the second token (the first one a verify step decides) drawn many
// times with lookup drafts and with a sampled draft model, against its exact distribution
// sum_t1 p(t1) p(t2 | t1); temperature, top-k and a repetition penalty on.
TEST_F(Speculative, SampledGenerationKeepsTheTargetDistribution) {
  ModelConfig cfg = tiny_llama();
  cfg.V = 31;  // a short prompt holding every token; fewer cells
  auto m = make_random_model(cfg, 47, DType::f32, 0.15f);
  auto d = make_random_model(cfg, 48, DType::f32, 0.15f);
  // Every token occurs in the prompt, so lookup always has a draft after the first token.
  std::vector<int32_t> prompt(static_cast<size_t>(cfg.V));
  for (int i = 0; i < cfg.V; ++i) prompt[static_cast<size_t>(i)] = (i * 7) % cfg.V;
  prompt.insert(prompt.end(), prompt.begin(), prompt.begin() + 8);
  SamplingParams sp{.temperature = 1.0f, .top_k = 20, .top_p = 1.0f, .seed = 0};
  sp.repetition_penalty = 1.2f;
  // The exact distribution of the second token.
  std::vector<double> p2(static_cast<size_t>(cfg.V), 0.0);
  {
    Workspace ws;
    std::vector<float> logits, p1, pc;
    forward(*m, Batch::single(prompt), nullptr, ws, logits);
    Sampler s1(sp, prompt);
    s1.probabilities(logits, p1);
    for (int t1 = 0; t1 < cfg.V; ++t1) {
      if (p1[static_cast<size_t>(t1)] == 0.0f) continue;
      auto ctx = prompt;
      ctx.push_back(t1);
      forward(*m, Batch::single(ctx), nullptr, ws, logits);
      Sampler s2(sp, prompt);
      s2.push(t1);
      s2.probabilities(logits, pc);
      for (size_t y = 0; y < pc.size(); ++y) p2[y] += double(p1[static_cast<size_t>(t1)]) * pc[y];
    }
  }
  const int n = 2000;
  for (const bool lookup : {true, false}) {
    std::vector<int> counts(p2.size());
    int64_t drafted = 0, accepted = 0;
    for (int i = 0; i < n; ++i) {
      GenerateOptions o;
      o.max_new_tokens = 3;  // a draft of one token for the second position
      o.sampling = sp;
      o.sampling.seed = static_cast<uint64_t>(i) + 1000;
      o.draft.lookup = lookup;
      o.draft.draft_model = lookup ? nullptr : d.get();
      const auto r = run(*m, prompt, o);
      ASSERT_EQ(r.tokens.size(), 3u);
      ++counts[static_cast<size_t>(r.tokens[1])];
      drafted += r.draft.drafted;
      accepted += r.draft.accepted;
    }
    int df = 0;
    const double chi = chi_square(counts, p2, n, &df);
    EXPECT_LT(chi, chi_square_limit(df)) << (lookup ? "lookup" : "draft model") << ", df " << df;
    EXPECT_GT(drafted, n / 2) << "every step should have drafted";
    EXPECT_GT(accepted, 0);
  }
}

// f() must throw an InputError whose message mentions each of `mentions`.
template <typename F>
void expect_vocab_error(F f, std::initializer_list<const char*> mentions) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const lw::InputError& e) {
    const std::string msg = e.what();
    for (const char* m : mentions) EXPECT_NE(msg.find(m), std::string::npos) << msg;
  }
}

TEST_F(Speculative, DraftVocabularyMustMatch) {
  auto m = make_random_model(tiny_llama(), 49, DType::f32, 0.3f);
  ModelConfig small = tiny_llama();
  small.V = 90;
  auto d = make_random_model(small, 50, DType::f32, 0.3f);
  expect_vocab_error([&] { check_draft_vocab(*m, nullptr, "target.gguf", *d, nullptr, "draft.gguf"); },
                     {"target.gguf", "draft.gguf", "90"});
  EXPECT_NO_THROW(check_draft_vocab(*m, nullptr, "a", *m, nullptr, "b"));
}

TEST_F(Speculative, DraftTokenTextsMustMatch) {
  ModelConfig c = tiny_llama();
  c.V = 261;  // FakeTokenizer::llama3(): 256 bytes + 5 specials
  auto m = make_random_model(c, 51, DType::f32, 0.3f);
  const auto a = lw::testing::FakeTokenizer::llama3();
  const auto same = lw::testing::FakeTokenizer::llama3();
  const lw::testing::FakeTokenizer other(
      {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|im_end|>"});
  EXPECT_NO_THROW(check_draft_vocab(*m, &a, "t", *m, &same, "d"));
  expect_vocab_error([&] { check_draft_vocab(*m, &a, "target-dir", *m, &other, "draft-dir"); },
                     {"target-dir", "draft-dir", "id 260"});
}
