// The in-process backend on a tiny random Llama: greedy determinism, streaming, max_tokens and the
// context limit ("length"), stop strings, seeds, cancellation, and continuous batching (batched
// replies equal replies computed alone).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <thread>

#include "engine/generate.hpp"
#include "net/errors.hpp"
#include "serve/sampling_fields.hpp"
#include "tiny_model.hpp"
#include "tokenizer/chat_format.hpp"
#include "util/error.hpp"

namespace {

using lw::net::ChatRequest;

ChatRequest greedy(const std::string& user, int64_t max_tokens) {
  ChatRequest r;
  r.messages = {{"user", user}};
  r.temperature = 0.0;
  r.max_tokens = max_tokens;
  return r;
}

class LocalBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    backend_ = lw::serve::open_local_backend(lw::testing::tiny_model_dir(), lw::testing::tiny_options()).release();
  }
  static void TearDownTestSuite() {
    delete backend_;
    backend_ = nullptr;
  }
  static lw::serve::LocalBackend* backend_;
};
lw::serve::LocalBackend* LocalBackendTest::backend_ = nullptr;

TEST_F(LocalBackendTest, GreedyRepliesAreDeterministicAndStreamExactly) {
  auto a = backend_->complete(greedy("Tell me a story", 12));
  std::string streamed;
  int pieces = 0;
  auto b = backend_->complete(greedy("Tell me a story", 12), [&](std::string_view d) {
    streamed += d;
    ++pieces;
  });
  EXPECT_EQ(a.content, b.content);
  EXPECT_EQ(streamed, b.content);
  // The deltas a slow consumer has not drained yet arrive merged (on a loaded machine, possibly all
  // in one piece); their concatenation is the reply either way.
  EXPECT_GE(pieces, 1);
  EXPECT_EQ(a.finish_reason, "length");
  EXPECT_EQ(a.usage.completion_tokens, 12);
  EXPECT_GT(a.usage.prompt_tokens, 5);
  EXPECT_EQ(a.usage.total_tokens, a.usage.prompt_tokens + 12);
  EXPECT_EQ(a.model, backend_->name());
}

TEST_F(LocalBackendTest, MatchesTheEngineGenerateLoop) {
  // The scheduler's reply equals engine::generate on the same prompt (greedy).
  auto req = greedy("Write about rivers", 16);
  std::vector<lw::tok::ChatMessage> msgs = {{"user", "Write about rivers"}};
  auto prompt = backend_->chat_format().render_prompt(msgs);
  lw::engine::GenerateOptions go;
  go.max_new_tokens = 16;
  go.stop_ids = backend_->chat_format().stop_ids();
  auto ref = lw::engine::generate(backend_->model(), &backend_->tokenizer(), prompt, go);
  auto r = backend_->complete(req);
  // Same tokens, and the same text: both stream through tok::StreamDecoder, which is the
  // tokenizer's decoding of the ids (SentencePiece's dummy-prefix space dropped at the start).
  std::vector<int32_t> ids = ref.tokens;
  if (ref.finish_reason == "stop" && !ids.empty()) ids.pop_back();
  EXPECT_EQ(r.content, backend_->tokenizer().decode(ids));
  EXPECT_EQ(r.content, ref.text);
  EXPECT_EQ(r.usage.completion_tokens, static_cast<int64_t>(ref.tokens.size()));
  EXPECT_EQ(r.usage.prompt_tokens, static_cast<int64_t>(prompt.size()));
}

TEST_F(LocalBackendTest, ConcurrentRepliesEqualRepliesAlone) {
  std::vector<std::string> users = {"one", "a second, longer question about the sea", "three", "four four",
                                    "five", "six"};
  std::vector<std::string> alone;
  for (const auto& u : users) alone.push_back(backend_->complete(greedy(u, 20)).content);
  auto before = backend_->scheduler().stats();
  std::vector<std::string> together(users.size());
  std::vector<std::thread> ts;
  for (size_t i = 0; i < users.size(); ++i)
    ts.emplace_back([&, i] { together[i] = backend_->complete(greedy(users[i], 20)).content; });
  for (auto& t : ts) t.join();
  for (size_t i = 0; i < users.size(); ++i) EXPECT_EQ(together[i], alone[i]) << users[i];
  auto after = backend_->scheduler().stats();
  EXPECT_EQ(after.tokens_generated - before.tokens_generated, 6 * 20);
}

TEST_F(LocalBackendTest, SequencesShareDecodeSteps) {
  // Submitted together, four sequences of 40 tokens run in far fewer than 4 * 40 steps.
  auto& sched = const_cast<lw::serve::Scheduler&>(backend_->scheduler());
  auto before = sched.stats();
  std::vector<std::shared_ptr<lw::serve::SeqStream>> outs;
  for (int i = 0; i < 4; ++i) {
    lw::serve::SeqParams p;
    p.prompt = {1, 100 + i, 200 + i};
    p.max_new_tokens = 40;
    outs.push_back(sched.submit(p));
  }
  for (auto& o : outs) {
    std::string s;
    while (o->next(s)) {
    }
    EXPECT_EQ(o->completion_tokens(), 40);
    EXPECT_EQ(o->finish_reason(), "length");
  }
  auto after = sched.stats();
  EXPECT_LT(after.steps - before.steps, 2 * 40);
  EXPECT_EQ(after.max_batch_seqs, 4);
}

TEST_F(LocalBackendTest, StopStringCutsTheReply) {
  auto full = backend_->complete(greedy("Stop test", 24)).content;
  ASSERT_GE(full.size(), 8u);
  // A stop string taken from the middle of the greedy reply.
  std::string stop = full.substr(full.size() / 2, 3);
  size_t cut = full.find(stop);
  auto req = greedy("Stop test", 24);
  req.stop = {stop};
  std::string streamed;
  auto r = backend_->complete(req, [&](std::string_view d) { streamed += d; });
  EXPECT_EQ(r.content, full.substr(0, cut));
  EXPECT_EQ(streamed, r.content);
  EXPECT_EQ(r.finish_reason, "stop");
}

TEST_F(LocalBackendTest, SeedsMakeSamplingReproducible) {
  ChatRequest req;
  req.messages = {{"user", "sample"}};
  req.temperature = 1.0;
  req.max_tokens = 16;
  req.seed = 42;
  auto a = backend_->complete(req);
  auto b = backend_->complete(req);
  EXPECT_EQ(a.content, b.content);
  req.seed = 43;
  auto c = backend_->complete(req);
  EXPECT_NE(a.content, c.content);
}

TEST_F(LocalBackendTest, ACallbackThatThrowsCancelsOnlyItsSequence) {
  struct Gone {};
  EXPECT_THROW(backend_->complete(greedy("cancel me", 200), [](std::string_view) { throw Gone{}; }), Gone);
  auto r = backend_->complete(greedy("still fine", 5));
  EXPECT_EQ(r.usage.completion_tokens, 5);
}

TEST(LocalBackend, ContextLimitEndsWithLength) {
  auto o = lw::testing::tiny_options(2);
  o.max_context = 40;
  auto be = lw::serve::open_local_backend(lw::testing::tiny_model_dir(), o);
  ChatRequest req;
  req.messages = {{"user", "go on forever"}};
  req.temperature = 0.0;
  auto r = be->complete(req);  // no max_tokens: up to the context
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.usage.total_tokens, 40);
  req.messages = {{"user", std::string(300, 'x') + " far too long"}};
  EXPECT_THROW(be->complete(req), lw::net::ContextLengthError);
}

TEST(LocalBackend, BadPathsAndFormatsAreInputErrors) {
  EXPECT_THROW(lw::serve::open_local_backend("/nonexistent/model", lw::testing::tiny_options()), lw::InputError);
  auto o = lw::testing::tiny_options();
  o.format = "no-such-format";
  EXPECT_THROW(lw::serve::open_local_backend(lw::testing::tiny_model_dir(), o), lw::InputError);
}

}  // namespace

TEST_F(LocalBackendTest, SamplingExtrasRunTheSameChainAsGenerate) {
  // Penalties, DRY and a logit bias through the API equal engine::generate with the same chain.
  auto req = greedy("Write about rivers", 24);
  req.extras.repetition_penalty = 1.3;
  req.extras.frequency_penalty = 0.4;
  req.extras.dry_multiplier = 0.8;
  req.extras.logit_bias = {{29871, 3.0}};
  std::vector<lw::tok::ChatMessage> msgs = {{"user", "Write about rivers"}};
  auto prompt = backend_->chat_format().render_prompt(msgs);
  lw::engine::GenerateOptions go;
  go.max_new_tokens = 24;
  go.stop_ids = backend_->chat_format().stop_ids();
  go.sampling = lw::serve::with_extras({}, req.extras);
  auto ref = lw::engine::generate(backend_->model(), &backend_->tokenizer(), prompt, go);
  EXPECT_EQ(backend_->complete(req).content, ref.text);
  // Without the extras the reply differs (the chain did something).
  EXPECT_NE(backend_->complete(greedy("Write about rivers", 24)).content, ref.text);
  // A bias of +100 makes greedy pick that token every time.
  auto forced = greedy("Write about rivers", 5);
  forced.extras.logit_bias = {{450, 100.0}};
  auto r = backend_->complete(forced);
  EXPECT_EQ(r.usage.completion_tokens, 5);
  EXPECT_EQ(r.content, backend_->tokenizer().decode(std::vector<int32_t>(5, 450)));
  // An id outside the vocabulary is refused.
  forced.extras.logit_bias = {{1 << 20, 1.0}};
  EXPECT_THROW(backend_->complete(forced), lw::InputError);
}

TEST_F(LocalBackendTest, LogprobsAreTheLogSoftmaxOfTheModelsLogits) {
  auto req = greedy("Write about rivers", 8);
  req.top_logprobs = 3;
  std::vector<std::string> streamed_tokens;
  req.on_logprobs = [&](std::vector<lw::net::TokenLogprob> got) {
    for (auto& t : got) streamed_tokens.push_back(t.token);
  };
  std::string text;
  auto r = backend_->complete(req, [&](std::string_view d) { text += d; });
  ASSERT_TRUE(r.logprobs.has_value());
  const auto& lps = *r.logprobs;
  // One entry per reply token (a final stop token has none).
  const size_t n = r.finish_reason == "stop" ? static_cast<size_t>(r.usage.completion_tokens) - 1
                                             : static_cast<size_t>(r.usage.completion_tokens);
  ASSERT_EQ(lps.size(), n);
  EXPECT_EQ(streamed_tokens.size(), n);
  std::vector<lw::tok::ChatMessage> msgs = {{"user", "Write about rivers"}};
  auto seq = backend_->chat_format().render_prompt(msgs);
  lw::engine::Workspace ws;
  std::vector<float> logits;
  std::string joined;
  for (const auto& t : lps) {
    lw::engine::forward(backend_->model(), lw::engine::Batch::single(seq), nullptr, ws, logits);
    double mx = -1e300, sum = 0;
    for (float l : logits) mx = std::max(mx, static_cast<double>(l));
    for (float l : logits) sum += std::exp(l - mx);
    const int32_t best = lw::engine::argmax(logits);  // greedy: the chosen token is the top one
    EXPECT_EQ(t.token, backend_->tokenizer().token_bytes(best));
    // The server keeps keys and values in f16 (the reference recomputes in f32): close, not equal.
    EXPECT_NEAR(t.logprob, logits[static_cast<size_t>(best)] - mx - std::log(sum), 2e-2);
    ASSERT_EQ(t.top.size(), 3u);
    EXPECT_EQ(t.top[0].first, t.token);
    EXPECT_NEAR(t.top[0].second, t.logprob, 1e-6);
    EXPECT_GE(t.top[0].second, t.top[1].second);
    EXPECT_GE(t.top[1].second, t.top[2].second);
    seq.push_back(best);
  }
  // Without logprobs the reply has none.
  EXPECT_FALSE(backend_->complete(greedy("Write about rivers", 4)).logprobs.has_value());
}
