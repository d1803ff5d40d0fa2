// Speculative decoding inside the continuous-batching scheduler (SchedulerOptions::draft): several
// sequences submitted at once (their verify rows share steps with the others' rows whenever they
// overlap); greedy replies
// equal engine::generate's without drafts; the counters of Stats and SeqStream. A tiny random model
// over a byte-level fake tokenizer (no third-party data).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "data/fake_tokenizer.hpp"
#include "engine/engine_test_util.hpp"
#include "engine/generate.hpp"
#include "engine/model.hpp"
#include "serve/scheduler.hpp"

namespace {

using lw::serve::Scheduler;
using lw::serve::SeqParams;
using lw::serve::SeqStream;

lw::engine::ModelConfig byte_config() {
  lw::engine::ModelConfig c = lw::engine::testing::tiny_llama();
  c.V = 259;  // FakeTokenizer::chatml(): 256 bytes + 3 specials
  c.max_context = 256;
  return c;
}

std::string read_all(SeqStream& s) {
  std::string text, piece;
  while (s.next(piece)) text += piece;
  return text;
}

// A prompt that repeats itself, so that lookup finds drafts.
std::vector<int32_t> prompt_of(const std::string& unit, int times) {
  std::vector<int32_t> p;
  for (int r = 0; r < times; ++r)
    for (unsigned char ch : unit) p.push_back(ch);
  return p;
}

// Three sequences at once with drafts; each reply must equal plain greedy decoding. Returns the stats.
Scheduler::Stats expect_same_as_plain(const lw::engine::DraftOptions& draft, const lw::engine::Model& m,
                                      const lw::engine::Model* draft_model) {
  const auto tok = lw::testing::FakeTokenizer::chatml();
  lw::serve::SchedulerOptions so;
  so.n_slots = 3;
  so.threads = 1;
  so.draft = draft;
  so.draft.draft_model = draft_model;
  Scheduler sched(m, tok, so);
  const std::vector<std::vector<int32_t>> prompts = {prompt_of("abcab ", 4), prompt_of("xyz ", 5),
                                                     prompt_of("hello world. ", 2)};
  std::vector<std::shared_ptr<SeqStream>> outs;
  for (const auto& p : prompts) {
    SeqParams sp;
    sp.prompt = p;
    sp.max_new_tokens = 40;
    outs.push_back(sched.submit(sp));
  }
  lw::engine::DraftStats per_seq;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::string text = read_all(*outs[i]);
    EXPECT_TRUE(outs[i]->error().empty()) << outs[i]->error();
    lw::engine::GenerateOptions go;
    go.max_new_tokens = 40;
    const auto want = lw::engine::generate(m, &tok, prompts[i], go);
    EXPECT_EQ(text, want.text) << "sequence " << i;
    EXPECT_EQ(outs[i]->completion_tokens(), 40);
    per_seq.add(outs[i]->draft_stats());
  }
  const auto st = sched.stats();
  EXPECT_GT(st.draft.drafted, 0);
  EXPECT_GT(st.draft.accepted, 0);
  EXPECT_EQ(st.draft.drafted, per_seq.drafted);  // the streams' counts add up to the scheduler's
  EXPECT_EQ(st.draft.accepted, per_seq.accepted);
  return st;
}

}  // namespace

TEST(SpeculativeServe, LookupGreedyRepliesEqualPlainDecoding) {
  // (a seed whose greedy replies repeat their prompts, so that some lookup drafts are accepted)
  auto m = lw::engine::make_random_model(byte_config(), 63, lw::engine::DType::f32, 1.0f);
  lw::engine::DraftOptions d;
  d.lookup = true;
  expect_same_as_plain(d, *m, nullptr);
}

TEST(SpeculativeServe, DraftModelGreedyRepliesEqualPlainDecoding) {
  auto m = lw::engine::make_random_model(byte_config(), 62, lw::engine::DType::f32, 0.6f);
  lw::engine::DraftOptions d;
  d.draft_max = 3;
  const auto st = expect_same_as_plain(d, *m, m.get());  // the model as its own draft
  EXPECT_EQ(st.draft.accepted, st.draft.drafted);
  EXPECT_LE(st.draft.steps, 3 * 10);  // each: 39 tokens after the first in steps of up to 4
}
