// Sampling, stop handling and the generation loop (token ids only: no tokenizer needed).
#include <gtest/gtest.h>

#include <map>

#include "engine/generate.hpp"
#include "engine/sampler.hpp"
#include "engine_test_util.hpp"
#include "util/error.hpp"

using namespace lw::engine;
using namespace lw::engine::testing;

TEST(Sampler, GreedyTopKAndSeeds) {
  std::vector<float> logits = {0.1f, 2.0f, 1.9f, -1.0f, 0.5f};
  EXPECT_EQ(argmax(logits), 1);
  EXPECT_EQ(Sampler({}).sample(logits), 1);                    // temperature 0 = greedy
  EXPECT_EQ(Sampler({.temperature = 1.0f, .top_k = 1, .top_p = 1.0f, .seed = 7}).sample(logits), 1);    // top-k 1 = greedy
  EXPECT_EQ(Sampler({.temperature = 1.0f, .top_k = 0, .top_p = 0.01f, .seed = 7}).sample(logits), 1);   // tiny top-p keeps only the best
  // top-k 2 only ever picks the two best.
  Sampler s2({.temperature = 5.0f, .top_k = 2, .top_p = 1.0f, .seed = 3});
  for (int i = 0; i < 200; ++i) {
    int t = s2.sample(logits);
    EXPECT_TRUE(t == 1 || t == 2);
  }
  // Same seed, same sequence; another seed differs somewhere.
  Sampler a({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = 42}), b({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = 42}), c({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = 43});
  std::vector<float> flat(50, 0.0f);
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    int x = a.sample(flat);
    EXPECT_EQ(x, b.sample(flat));
    differs |= x != c.sample(flat);
  }
  EXPECT_TRUE(differs);
  EXPECT_THROW(Sampler({.temperature = -1.0f, .top_k = 0, .top_p = 1.0f, .seed = 0}), lw::InputError);
  EXPECT_THROW(Sampler({.temperature = 1.0f, .top_k = 0, .top_p = 0.0f, .seed = 0}), lw::InputError);
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  std::vector<float> logits = {0.0f, std::log(3.0f)};  // p = 1/4, 3/4
  Sampler s({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = 9});
  int ones = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) ones += s.sample(logits);
  EXPECT_NEAR(ones / double(n), 0.75, 0.03);
  // Temperature 0.5 squares the odds: p(1) = 9/10.
  Sampler t({.temperature = 0.5f, .top_k = 0, .top_p = 1.0f, .seed = 9});
  ones = 0;
  for (int i = 0; i < n; ++i) ones += t.sample(logits);
  EXPECT_NEAR(ones / double(n), 0.9, 0.03);
}

TEST(StopMatcher, HoldsBackPossibleStopsAndCutsAtTheMatch) {
  StopMatcher m({"</end>", "STOP"});
  std::string out;
  out += m.push("Hello </e");
  EXPECT_EQ(out, "Hello ");  // "</e" could start "</end>"
  out += m.push("x> more S");
  EXPECT_EQ(out, "Hello </ex> more ");
  out += m.push("TOP and after");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(out, "Hello </ex> more ");
  EXPECT_EQ(m.push("ignored"), "");
  StopMatcher n({"ab"});
  EXPECT_EQ(n.push("xa"), "x");
  EXPECT_EQ(n.flush(), "a");
}

TEST(Generate, GreedyEqualsArgmaxOfFullRecompute) {
  auto m = make_random_model(tiny_llama(), 31, DType::f32, 0.3f);
  std::vector<int32_t> prompt = rand_ids(6, 97, 32);
  GenerateOptions o;
  o.max_new_tokens = 12;
  std::vector<int32_t> streamed;
  auto r = generate(*m, nullptr, prompt, o, [&](int32_t id, std::string_view) {
    streamed.push_back(id);
    return true;
  });
  ASSERT_EQ(r.tokens.size(), 12u);
  EXPECT_EQ(streamed, r.tokens);
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.prompt_tokens, 6);
  EXPECT_GT(r.kv_cache_bytes, 0u);
  std::vector<int32_t> seq = prompt;
  Workspace ws;
  std::vector<float> logits;
  for (int32_t want : r.tokens) {
    forward(*m, Batch::single(seq), nullptr, ws, logits);
    EXPECT_EQ(argmax(logits), want);
    seq.push_back(want);
  }
}

TEST(Generate, StopsAtStopIdsAndTheContextLimit) {
  auto m = make_random_model(tiny_llama(), 33, DType::f32, 0.3f);
  std::vector<int32_t> prompt = rand_ids(5, 97, 34);
  GenerateOptions o;
  o.max_new_tokens = 10;
  auto free_run = generate(*m, nullptr, prompt, o);
  o.stop_ids = {free_run.tokens[3]};
  auto stopped = generate(*m, nullptr, prompt, o);
  EXPECT_EQ(stopped.finish_reason, "stop");
  EXPECT_LE(stopped.tokens.size(), 4u);
  EXPECT_EQ(stopped.tokens.back(), free_run.tokens[3]);
  // The callback can stop generation.
  o.stop_ids.clear();
  int calls = 0;
  auto cb = generate(*m, nullptr, prompt, o, [&](int32_t, std::string_view) { return ++calls < 2; });
  EXPECT_EQ(cb.tokens.size(), 2u);
  EXPECT_EQ(cb.finish_reason, "stop");
  // max_new_tokens is capped by the context.
  o.max_new_tokens = 1000;
  o.max_context = 9;
  auto capped = generate(*m, nullptr, prompt, o);
  EXPECT_EQ(capped.tokens.size(), 4u);
  EXPECT_EQ(capped.finish_reason, "length");
  o.max_context = 5;
  EXPECT_THROW(generate(*m, nullptr, prompt, o), lw::InputError);
  EXPECT_THROW(generate(*m, nullptr, {}, o), lw::InputError);
}

TEST(Generate, SeededSamplingIsReproducible) {
  auto m = make_random_model(tiny_glm4(), 35, DType::bf16, 0.3f);
  std::vector<int32_t> prompt = rand_ids(4, 97, 36);
  GenerateOptions o;
  o.max_new_tokens = 15;
  o.sampling = {.temperature = 1.0f, .top_k = 20, .top_p = 0.9f, .seed = 1234};
  auto a = generate(*m, nullptr, prompt, o), b = generate(*m, nullptr, prompt, o);
  EXPECT_EQ(a.tokens, b.tokens);
}
