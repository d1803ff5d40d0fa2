#pragma once
// Continuous batching over the engine: one scheduler thread owns the KV cache and runs every
// forward pass. Each step packs, for every active sequence, either its next token (decode) or the
// next chunk of its prompt (chunked prefill, at most prefill_chunk prompt tokens per step in all)
// into one engine::Batch, runs forward() once, and samples one token for each sequence whose prompt
// is complete. Sequences join as soon as a cache slot is free and leave as soon as they finish, so
// concurrent callers share every decode step.
//
// Prefix reuse: when a sequence ends, its keys and values stay in its slot together with the tokens
// they belong to. A new sequence takes the free slot whose tokens share the longest prefix with its
// prompt (the least recently used one among ties and misses; a prefix must save at least 32 tokens
// more than the least recently used slot to win over it), keeps that prefix in the cache and
// prefills only the rest; at least the prompt's last token is always recomputed, so its logits
// exist (a prompt that is a prefix of, or equal to, the cached tokens truncates the cache to P - 1).
// Memory stays what the slots reserve. SchedulerOptions::prefix_cache = false clears the slot instead.
// Sequences running at once share too: a new sequence whose prompt shares at least 32 tokens more
// with a running sequence's prompt than with its own slot waits until that sequence has computed
// the shared prefix, copies its keys and values (KvCache::copy_prefix) and prefills the rest (the
// paragraphs of `write --parallel` share instruction and plan).
//
// Several replies to one prompt (submit_n, OpenAI's n): the sequences are admitted together, one
// of them prefills the prompt, and once it is complete its keys and values are copied into the
// others' slots (KvCache::copy_prefix) and every sequence samples its first token from the same
// logits with its own seed (seed + i); the prompt is computed once. More sequences than slots run
// in groups of at most n_slots, one after another (a later group finds the prompt in the prefix
// cache).
//
//   Scheduler s(model, tokenizer, {.n_slots = 4});
//   auto out = s.submit({.prompt = ids, .max_new_tokens = 100});   // from any thread
//   std::string piece;
//   while (out->next(piece)) std::cout << piece;                   // streamed text
//   out->finish_reason();                                          // "stop" or "length"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/logprobs.hpp"
#include "engine/model.hpp"
#include "engine/sampler.hpp"
#include "engine/speculative.hpp"
#include "serve/json_constraint.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lw::serve {

struct SeqParams {
  std::vector<int32_t> prompt;  // (P) token ids, 1 <= P < max_context
  engine::SamplingParams sampling;
  int64_t max_new_tokens = -1;             // < 0: up to the context limit
  std::vector<int32_t> stop_ids;           // end the reply (not part of the text)
  std::vector<std::string> stop_strings;   // cut the text before the first match
  std::shared_ptr<const SchemaNode> json;  // set: the reply is one JSON value of this schema
  int top_logprobs = -1;                   // >= 0: each reply token's logprob and this many alternatives
};

// Wakes the reader of several streams (Scheduler::submit_n) when any of them has news.
class StreamSignal {
 public:
  uint64_t version() const;
  // Blocks until the version differs from `seen` (read it before polling the streams).
  void wait(uint64_t seen);
  void notify();

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t version_ = 0;
};

// The output of one submitted sequence, read by the thread that submitted it.
class SeqStream {
 public:
  // Blocks until more text is available (returns true with it in `text`) or the sequence has
  // ended and all text was read (returns false).
  bool next(std::string& text);
  // Without blocking: text (returned in `text`), nothing yet, or ended with all text read.
  enum class Poll { text, empty, ended };
  Poll try_next(std::string& text);
  // Set for the streams of one submit_n: notified whenever any of them has text or ends.
  const std::shared_ptr<StreamSignal>& signal() const { return signal_; }
  // Asks the scheduler to drop the sequence (e.g. the client went away); next() then returns false.
  void cancel() { cancelled_.store(true); }
  // The log-probabilities of the reply tokens sampled since the last call (with top_logprobs >= 0;
  // the stop token is not included). A token's entry is there by the time its text is.
  std::vector<engine::TokenLogprob> take_logprobs();
  bool cancelled() const { return cancelled_.load(); }

  // Valid once next() returned false.
  const std::string& finish_reason() const { return finish_reason_; }  // "stop", "length"
  const std::string& error() const { return error_; }                  // non-empty when it failed
  int64_t prompt_tokens() const { return prompt_tokens_; }
  int64_t completion_tokens() const { return completion_tokens_; }
  // Prompt tokens taken from the slot's cache instead of being computed.
  int64_t cached_tokens() const;
  // Seconds from submit() to the first sampled token (queueing + prefill), and from there to the end.
  double prefill_seconds() const;
  double decode_seconds() const;
  // Speculative decoding's counts for this sequence so far (zero without a draft source).
  engine::DraftStats draft_stats() const;

 private:
  friend class Scheduler;
  void emit(std::string text);
  void finish(std::string reason, std::string error, int64_t completion_tokens);
  void started(int64_t cached_tokens);  // admitted to a slot
  void first_token();
  void add_logprob(engine::TokenLogprob t);
  void add_drafts(const engine::DraftStats& d);

  using Clock = std::chrono::steady_clock;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;
  std::shared_ptr<StreamSignal> signal_;
  std::vector<engine::TokenLogprob> logprobs_;
  bool done_ = false;
  std::atomic<bool> cancelled_{false};
  std::string finish_reason_, error_;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0, cached_tokens_ = 0;
  engine::DraftStats drafts_;
  Clock::time_point submitted_ = Clock::now(), first_token_{}, finished_{};
};

struct SchedulerOptions {
  int n_slots = 4;          // sequences decoded together (KV cache slots)
  int max_context = 0;      // tokens per sequence, prompt + reply (0: the model's max_context)
  int prefill_chunk = 512;  // prompt tokens per step, shared by sequences still prefilling
  int threads = 0;          // OpenMP threads of the forward pass (0: the default)
  engine::DType kv_dtype = engine::DType::f16;  // KV cache: f32, f16, bf16, q8_0, q4_0 (engine/kv_cache.hpp)
  bool prefix_cache = true;  // reuse a slot's cached prefix (see above); false: prefill every prompt
  // Speculative decoding per sequence (engine/speculative.hpp): a generating sequence's drafted
  // tokens go into the step after its last token, K+1 rows of the same batch as the other
  // sequences' rows; the longest acceptable prefix is kept and its slot rewound to it. Sequences
  // with a JSON constraint decode without drafts. draft.draft_model must outlive the scheduler.
  engine::DraftOptions draft;
};

// Length of the common prefix of a and b.
size_t common_prefix(std::span<const int32_t> a, std::span<const int32_t> b);

class Scheduler {
 public:
  // model and tok must outlive the scheduler.
  Scheduler(const engine::Model& model, const tok::Tokenizer& tok, SchedulerOptions options);
  ~Scheduler();  // ends every sequence still running (error "shutting down") and joins the thread
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a sequence. Thread-safe. Throws net::ContextLengthError when the prompt leaves no room
  // in the context, InputError for an empty prompt or an out-of-vocabulary id.
  std::shared_ptr<SeqStream> submit(SeqParams params);
  // Queues n >= 1 sequences of one prompt (see above): sequence i samples with seed
  // params.sampling.seed + i. The streams share one StreamSignal. Throws as submit().
  std::vector<std::shared_ptr<SeqStream>> submit_n(SeqParams params, int n);

  int max_context() const { return max_ctx_; }
  int n_slots() const { return opts_.n_slots; }
  size_t kv_cache_bytes() const { return cache_.bytes(); }

  bool prefix_cache() const { return opts_.prefix_cache; }
  const SchedulerOptions& options() const { return opts_; }

  struct Stats {
    int64_t steps = 0;            // forward passes
    int64_t max_batch_seqs = 0;   // most sequences in one forward pass
    int64_t decode_steps = 0;     // forward passes with at least one decode token
    int64_t decode_rows = 0;      // decode tokens in them (decode_rows / decode_steps: rows per weight read)
    int64_t max_decode_seqs = 0;  // most decode tokens in one forward pass
    // Steps with decode rows only (no prompt chunk): their count, the tokens they emitted and their
    // time (forward pass and sampling): tokens / seconds is the aggregate decode rate, prefill excluded.
    int64_t decode_only_steps = 0, decode_only_tokens = 0;
    double decode_only_seconds = 0;
    int64_t tokens_generated = 0;
    int64_t prompt_tokens = 0;         // prompt tokens computed (prefilled) by forward passes
    int64_t sequences = 0;             // sequences admitted to a slot
    int64_t prefix_hits = 0;           // ... of which reused a cached prefix
    int64_t prompt_tokens_total = 0;   // prompt tokens of the admitted sequences
    int64_t prompt_tokens_cached = 0;  // ... taken from the cache (total = computed + cached)
    engine::DraftStats draft;          // speculative decoding: verify steps, drafted, accepted tokens
    // Gauges: sequences in a slot, sequences queued, cache cells holding a token, cells reserved.
    int64_t running = 0, waiting = 0, kv_cells_used = 0, kv_cells_total = 0;
    int64_t kv_cells_written = 0;  // each slot's longest length so far, summed (KvCache::cells_written)
  };
  Stats stats() const;

 private:
  struct Active;
  struct Waiting {
    SeqParams params;
    std::shared_ptr<SeqStream> out;
    int64_t max_new = 0;
    int64_t group = 0;  // > 0: one of a submit_n group, admitted together and prefilled once
  };
  Waiting make_waiting(SeqParams params) const;  // validates (see submit)
  void admit(std::vector<std::unique_ptr<Active>>& active, std::vector<bool>& busy);  // under mu_
  void share_prefill(const Active& leader, std::span<const float> row,
                     std::vector<std::unique_ptr<Active>>& active);
  void sample(Active& a, std::span<const float> row);
  void promote_follower(const Active& gone, std::vector<std::unique_ptr<Active>>& active);
  void find_source(Active& a, const std::vector<std::unique_ptr<Active>>& active) const;
  void resolve_shares(std::vector<std::unique_ptr<Active>>& active);
  void loop();
  void step(std::vector<std::unique_ptr<Active>>& active);
  void accept(Active& a, int32_t id, std::span<const float> logits);
  void propose_drafts(Active& a);
  void verify_drafts(Active& a, const float* logits);
  void end(Active& a, const std::string& reason);
  std::span<const float> constrain(Active& a, std::span<const float> row);
  int pick_slot(const std::vector<int32_t>& prompt, const std::vector<bool>& busy) const;
  int64_t reuse_slot(int slot, const std::vector<int32_t>& prompt);
  void publish_gauges(size_t running);  // under mu_

  const engine::Model& model_;
  const tok::Tokenizer& tok_;
  SchedulerOptions opts_;
  int max_ctx_ = 0;
  engine::KvCache cache_;
  engine::Workspace ws_;
  std::vector<float> logits_;
  std::vector<float> masked_;             // a row with the JSON constraint's mask applied
  std::vector<float> verify_scratch_;     // engine::verify_draft's
  std::vector<std::string> token_bytes_;  // per id; "" for special tokens (filled on first use)
  // Per slot: the tokens whose keys and values are in the cache (size == cache_.length(slot)), and
  // when the slot was last taken (for least-recently-used choice). Scheduler thread only.
  std::vector<std::vector<int32_t>> slot_tokens_;
  std::vector<int64_t> slot_used_;
  int64_t tick_ = 0;
  int64_t next_group_ = 0;  // under mu_

  mutable std::mutex mu_;  // guards waiting_, stop_, stats_
  std::condition_variable cv_;
  std::deque<Waiting> waiting_;
  bool stop_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace lw::serve
