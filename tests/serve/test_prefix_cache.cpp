// Prefix reuse in the scheduler: replies are token-for-token the same with and without it (chains
// of requests that each extend the previous prompt, interleaved chains at concurrency 4, prompts
// that are a strict prefix of a cached sequence, 16-bit and quantized caches, seeded sampling, stop
// strings that cut a reply mid-token), and the engine computes only the new prompt tokens.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "engine/model.hpp"
#include "serve/scheduler.hpp"
#include "tiny_model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

using lw::serve::Scheduler;
using lw::serve::SchedulerOptions;
using lw::serve::SeqParams;

// A tiny random Llama with room for a 10,000-token chain (one layer keeps the no-reuse reference,
// which prefills 55,000 tokens per chain, to seconds).
const lw::engine::Model& chain_model() {
  static const auto m = [] {
    auto c = lw::testing::tiny_serve_config();
    c.n_layer = 1;
    c.n_head = 2;
    c.n_kv_head = 1;
    c.C = 16;
    c.ffn = 32;
    c.max_context = 12288;
    return lw::engine::make_random_model(c, /*seed=*/11, lw::engine::DType::f32, /*std=*/0.5f);
  }();
  return *m;
}

// chain_model with hd 32 (the quantized cache types need whole blocks of 32 per head).
const lw::engine::Model& chain_model_hd32() {
  static const auto m = [] {
    auto c = chain_model().config();
    c.hd = 32;
    c.max_context = 2048;
    return lw::engine::make_random_model(c, /*seed=*/12, lw::engine::DType::f32, /*std=*/0.5f);
  }();
  return *m;
}

const lw::tok::Tokenizer& spm() {
  static const auto t = lw::tok::load_tokenizer(lw::testing::spm_vocab());
  return *t;
}

std::vector<int32_t> random_tokens(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> id(3, 31999);
  std::vector<int32_t> out(n);
  for (auto& x : out) x = id(rng);
  return out;
}

// Chain c: request k's prompt is the first (k + 1) * step tokens of one random text.
std::vector<std::vector<int32_t>> chain(uint32_t seed, int requests, size_t step) {
  auto text = random_tokens(step * static_cast<size_t>(requests), seed);
  std::vector<std::vector<int32_t>> out;
  for (int k = 0; k < requests; ++k)
    out.emplace_back(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(step * static_cast<size_t>(k + 1)));
  return out;
}

// Four one-request chains: a shared random prefix of n tokens (seed), then 4 tails of m tokens
// each (seeds tail_seed + i).
std::vector<std::vector<std::vector<int32_t>>> shared_prefix_prompts(size_t n, uint32_t seed, size_t m,
                                                                     uint32_t tail_seed) {
  const auto prefix = random_tokens(n, seed);
  std::vector<std::vector<std::vector<int32_t>>> prompts;
  for (uint32_t i = 0; i < 4; ++i) {
    auto p = prefix;
    auto tail = random_tokens(m, tail_seed + i);
    p.insert(p.end(), tail.begin(), tail.end());
    prompts.push_back({p});
  }
  return prompts;
}

struct Reply {
  std::string text, finish;
  int64_t completion = 0, cached = 0;
};

SeqParams request(const std::vector<int32_t>& prompt, int64_t max_new = 6) {
  SeqParams p;
  p.prompt = prompt;
  p.max_new_tokens = max_new;  // greedy (temperature 0 by default)
  return p;
}

Reply run_one(Scheduler& s, SeqParams p) {
  auto out = s.submit(std::move(p));
  Reply r;
  std::string piece;
  while (out->next(piece)) r.text += piece;
  EXPECT_EQ(out->error(), "");
  r.finish = out->finish_reason();
  r.completion = out->completion_tokens();
  r.cached = out->cached_tokens();
  return r;
}

// Runs each chain's requests in order, the chains on threads of their own (all at once).
std::vector<std::vector<Reply>> run_chains(Scheduler& s, const std::vector<std::vector<std::vector<int32_t>>>& chains) {
  std::vector<std::vector<Reply>> out(chains.size());
  std::vector<std::thread> threads;
  for (size_t c = 0; c < chains.size(); ++c)
    threads.emplace_back([&, c] {
      for (const auto& prompt : chains[c]) out[c].push_back(run_one(s, request(prompt)));
    });
  for (auto& t : threads) t.join();
  return out;
}

SchedulerOptions options(bool prefix_cache, int slots, lw::engine::DType kv = lw::engine::DType::f32) {
  SchedulerOptions o;
  o.n_slots = slots;
  o.threads = 1;
  o.kv_dtype = kv;
  o.prefix_cache = prefix_cache;
  return o;
}

void expect_same_replies(const std::vector<std::vector<Reply>>& with, const std::vector<std::vector<Reply>>& without) {
  ASSERT_EQ(with.size(), without.size());
  for (size_t c = 0; c < with.size(); ++c) {
    ASSERT_EQ(with[c].size(), without[c].size());
    for (size_t k = 0; k < with[c].size(); ++k) {
      SCOPED_TRACE(testing::Message() << "chain " << c << " request " << k);
      EXPECT_EQ(with[c][k].text, without[c][k].text);
      EXPECT_EQ(with[c][k].finish, without[c][k].finish);
      EXPECT_EQ(with[c][k].completion, without[c][k].completion);
      EXPECT_EQ(without[c][k].cached, 0);
    }
  }
}

int64_t total_tokens(const std::vector<std::vector<std::vector<int32_t>>>& chains) {
  int64_t n = 0;
  for (const auto& c : chains)
    for (const auto& p : c) n += static_cast<int64_t>(p.size());
  return n;
}

TEST(PrefixCache, CommonPrefix) {
  std::vector<int32_t> a{1, 2, 3, 4}, b{1, 2, 5}, e;
  EXPECT_EQ(lw::serve::common_prefix(a, b), 2u);
  EXPECT_EQ(lw::serve::common_prefix(a, a), 4u);
  EXPECT_EQ(lw::serve::common_prefix(a, e), 0u);
  EXPECT_EQ(lw::serve::common_prefix(b, std::vector<int32_t>{1, 2}), 2u);
}

// Ten requests, each extending the previous prompt by 1,000 tokens: the same greedy replies, and
// the engine prefills the new tokens only (10,000 of the 55,000 prompt tokens).
TEST(PrefixCache, ChainOfTenRequestsIsIdenticalAndPrefillsOnlyNewTokens) {
  const std::vector<std::vector<std::vector<int32_t>>> chains{chain(1, 10, 1000)};
  Scheduler on(chain_model(), spm(), options(true, 2));
  Scheduler off(chain_model(), spm(), options(false, 2));
  auto with = run_chains(on, chains);
  auto without = run_chains(off, chains);
  expect_same_replies(with, without);
  for (size_t k = 0; k < with[0].size(); ++k) EXPECT_EQ(with[0][k].cached, static_cast<int64_t>(k) * 1000) << k;
  const auto s = on.stats();
  EXPECT_EQ(s.prompt_tokens, 10000);  // counted by the forward passes
  EXPECT_EQ(s.prompt_tokens_total, total_tokens(chains));
  EXPECT_EQ(s.prompt_tokens_cached, total_tokens(chains) - 10000);
  EXPECT_EQ(s.sequences, 10);
  EXPECT_EQ(s.prefix_hits, 9);
  EXPECT_EQ(off.stats().prompt_tokens, total_tokens(chains));
  EXPECT_EQ(off.stats().prompt_tokens_cached, 0);

  // A prompt that is a strict prefix of the cached sequence keeps all of it but its last token,
  // which is recomputed for the logits; so does a prompt equal to a cached one.
  auto strict = std::vector<int32_t>(chains[0][9].begin(), chains[0][9].begin() + 2500);
  Reply a = run_one(on, request(strict)), b = run_one(off, request(strict));
  EXPECT_EQ(a.cached, 2499);
  EXPECT_EQ(a.text, b.text);
  Reply again = run_one(on, request(strict));
  EXPECT_EQ(again.cached, 2499);
  EXPECT_EQ(again.text, b.text);
}

// Four chains interleaved at concurrency 4: each keeps finding its own slot.
TEST(PrefixCache, FourInterleavedChainsAtConcurrencyFourAreIdentical) {
  std::vector<std::vector<std::vector<int32_t>>> chains;
  for (uint32_t c = 0; c < 4; ++c) chains.push_back(chain(100 + c, 10, 1000));
  Scheduler on(chain_model(), spm(), options(true, 4));
  Scheduler off(chain_model(), spm(), options(false, 4));
  auto with = run_chains(on, chains);
  auto without = run_chains(off, chains);
  expect_same_replies(with, without);
  for (size_t c = 0; c < 4; ++c)
    for (size_t k = 0; k < with[c].size(); ++k) EXPECT_EQ(with[c][k].cached, static_cast<int64_t>(k) * 1000);
  EXPECT_EQ(on.stats().prompt_tokens, 4 * 10000);
  EXPECT_EQ(on.stats().prefix_hits, 4 * 9);
}

// 16-bit caches: reuse reads the same rounded keys and values a full prefill would have stored.
TEST(PrefixCache, SixteenBitCachesGiveTheSameRepliesWithReuse) {
  const std::vector<std::vector<std::vector<int32_t>>> chains{chain(7, 4, 300), chain(8, 4, 300)};
  for (auto kv : {lw::engine::DType::f16, lw::engine::DType::bf16}) {
    SCOPED_TRACE(lw::engine::dtype_name(kv));
    Scheduler on(chain_model(), spm(), options(true, 2, kv));
    Scheduler off(chain_model(), spm(), options(false, 2, kv));
    expect_same_replies(run_chains(on, chains), run_chains(off, chains));
    EXPECT_EQ(on.stats().prompt_tokens, 2 * 4 * 300);  // 300 new tokens per request
    EXPECT_EQ(on.stats().prompt_tokens_total, 2 * (300 + 600 + 900 + 1200));
  }
}

// Quantized rows are self-contained (one head's blocks of 32 per row), so reused prefixes (copied
// between slots, or continued in place after a truncation) hold the bytes a fresh prefill would:
// the replies are the same with and without reuse, and four requests sharing a prefix copy it.
TEST(PrefixCache, QuantizedCachesGiveTheSameRepliesWithReuseAndSharing) {
  const std::vector<std::vector<std::vector<int32_t>>> chains{chain(9, 3, 200), chain(10, 3, 200)};
  const auto shared = shared_prefix_prompts(100, 33, 10, 50);
  for (auto kv : {lw::engine::DType::q8_0, lw::engine::DType::q4_0}) {
    SCOPED_TRACE(lw::engine::dtype_name(kv));
    Scheduler on(chain_model_hd32(), spm(), options(true, 2, kv));
    Scheduler off(chain_model_hd32(), spm(), options(false, 2, kv));
    expect_same_replies(run_chains(on, chains), run_chains(off, chains));
    EXPECT_EQ(on.stats().prompt_tokens, 2 * 3 * 200);  // 200 new tokens per request
    Scheduler on4(chain_model_hd32(), spm(), options(true, 4, kv));
    Scheduler off4(chain_model_hd32(), spm(), options(false, 4, kv));
    auto with = run_chains(on4, shared);
    expect_same_replies(with, run_chains(off4, shared));
    EXPECT_EQ(on4.stats().prompt_tokens_cached, 3 * 100);
  }
}

// The slot choice: longest common prefix, least recently used among misses; a miss never takes
// the slot of a chain that could continue while an unused one is free.
// Four requests at once sharing a 200-token prefix (as the paragraphs of `write --parallel` share
// instruction and plan): one computes it, the others copy it from its slot (whether it is still
// running or already done) and compute only their own 20 tokens; the replies are unchanged.
TEST(PrefixCache, FourRequestsRunningAtOnceComputeTheirSharedPrefixOnce) {
  const auto prompts = shared_prefix_prompts(200, 31, 20, 40);
  Scheduler on(chain_model(), spm(), options(true, 4));
  Scheduler off(chain_model(), spm(), options(false, 4));
  auto with = run_chains(on, prompts);
  auto without = run_chains(off, prompts);
  expect_same_replies(with, without);
  EXPECT_EQ(on.stats().prompt_tokens, 220 + 3 * 20);
  EXPECT_EQ(on.stats().prompt_tokens_cached, 3 * 200);
  EXPECT_EQ(off.stats().prompt_tokens, 4 * 220);
  int64_t cached = 0;
  for (const auto& c : with) cached += c[0].cached;
  EXPECT_EQ(cached, 3 * 200);
}

TEST(PrefixCache, MissesTakeTheLeastRecentlyUsedSlot) {
  Scheduler s(chain_model(), spm(), options(true, 3));
  auto a = random_tokens(200, 1), b = random_tokens(200, 2), c = random_tokens(200, 3);
  run_one(s, request(a));
  run_one(s, request(b));
  run_one(s, request(c));  // three misses fill three slots
  auto a2 = a;
  a2.push_back(5);
  EXPECT_EQ(run_one(s, request(a2)).cached, 200);  // a's slot kept it
  auto d = random_tokens(50, 4);
  run_one(s, request(d));  // a miss: takes b's slot, the least recently used
  auto c2 = c;
  c2.push_back(6);
  EXPECT_EQ(run_one(s, request(c2)).cached, 200);
  auto b2 = b;
  b2.push_back(7);
  EXPECT_EQ(run_one(s, request(b2)).cached, 0);  // b was evicted by d
}

// A prompt that shares only a few leading tokens (a chat header) with a used slot takes an unused
// slot instead of evicting it: a prefix must save 32 tokens more than the least recently used slot.
TEST(PrefixCache, AShortSharedHeaderDoesNotEvictAChain) {
  Scheduler s(chain_model(), spm(), options(true, 2));
  auto a = random_tokens(200, 1);
  run_one(s, request(a));
  auto e = a;
  auto tail = random_tokens(190, 9);
  std::copy(tail.begin(), tail.end(), e.begin() + 10);  // shares 10 tokens with a
  EXPECT_EQ(run_one(s, request(e)).cached, 0);        // the unused slot
  auto a2 = a;
  a2.push_back(5);
  EXPECT_EQ(run_one(s, request(a2)).cached, 200);  // a's slot was kept
  auto e2 = e;
  e2.push_back(6);
  EXPECT_EQ(run_one(s, request(e2)).cached, 200);
}

TEST(PrefixCache, SeededSamplingIsTheSameWithReuse) {
  const auto c = chain(21, 3, 200);
  Scheduler on(chain_model(), spm(), options(true, 1));
  Scheduler off(chain_model(), spm(), options(false, 1));
  for (const auto& prompt : c) {
    SeqParams p = request(prompt, 12);
    p.sampling.temperature = 1.0f;
    p.sampling.top_p = 0.9f;
    p.sampling.seed = 1234;
    Reply x = run_one(on, p), y = run_one(off, p);
    EXPECT_EQ(x.text, y.text);
    EXPECT_EQ(x.completion, y.completion);
  }
}

}  // namespace
