#include "serve/scheduler.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "engine/generate.hpp"
#include "net/errors.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::serve {

// ---- StreamSignal ----

uint64_t StreamSignal::version() const {
  std::lock_guard lk(mu_);
  return version_;
}

void StreamSignal::wait(uint64_t seen) {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return version_ != seen; });
}

void StreamSignal::notify() {
  {
    std::lock_guard lk(mu_);
    ++version_;
  }
  cv_.notify_all();
}

// ---- SeqStream ----

bool SeqStream::next(std::string& text) {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !pending_.empty() || done_; });
  if (pending_.empty()) return false;
  text.clear();
  text.swap(pending_);
  return true;
}

SeqStream::Poll SeqStream::try_next(std::string& text) {
  std::lock_guard lk(mu_);
  if (!pending_.empty()) {
    text.clear();
    text.swap(pending_);
    return Poll::text;
  }
  return done_ ? Poll::ended : Poll::empty;
}

void SeqStream::emit(std::string text) {
  if (text.empty()) return;
  {
    std::lock_guard lk(mu_);
    pending_ += text;
    cv_.notify_all();
  }
  if (signal_) signal_->notify();
}

void SeqStream::finish(std::string reason, std::string error, int64_t completion_tokens) {
  std::lock_guard lk(mu_);
  finish_reason_ = std::move(reason);
  error_ = std::move(error);
  completion_tokens_ = completion_tokens;
  finished_ = Clock::now();
  if (first_token_ == Clock::time_point{}) first_token_ = finished_;
  done_ = true;
  cv_.notify_all();
  if (signal_) signal_->notify();
}

std::vector<engine::TokenLogprob> SeqStream::take_logprobs() {
  std::lock_guard lk(mu_);
  std::vector<engine::TokenLogprob> out;
  out.swap(logprobs_);
  return out;
}

void SeqStream::add_logprob(engine::TokenLogprob t) {
  std::lock_guard lk(mu_);
  logprobs_.push_back(std::move(t));
}

void SeqStream::add_drafts(const engine::DraftStats& d) {
  std::lock_guard lk(mu_);
  drafts_.add(d);
}

engine::DraftStats SeqStream::draft_stats() const {
  std::lock_guard lk(mu_);
  return drafts_;
}

void SeqStream::started(int64_t cached_tokens) {
  std::lock_guard lk(mu_);
  cached_tokens_ = cached_tokens;
}

void SeqStream::first_token() {
  std::lock_guard lk(mu_);
  if (first_token_ == Clock::time_point{}) first_token_ = Clock::now();
}

int64_t SeqStream::cached_tokens() const {
  std::lock_guard lk(mu_);
  return cached_tokens_;
}

double SeqStream::prefill_seconds() const {
  std::lock_guard lk(mu_);
  if (first_token_ == Clock::time_point{}) return 0.0;
  return std::chrono::duration<double>(first_token_ - submitted_).count();
}

double SeqStream::decode_seconds() const {
  std::lock_guard lk(mu_);
  if (first_token_ == Clock::time_point{} || finished_ == Clock::time_point{}) return 0.0;
  return std::chrono::duration<double>(finished_ - first_token_).count();
}

size_t common_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  return static_cast<size_t>(
      std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin()).first - a.begin());
}

// ---- Scheduler ----

// One sequence holding a cache slot.
struct Scheduler::Active {
  Active(Waiting w, int slot_, const tok::Tokenizer& tok)
      : params(std::move(w.params)),
        out(std::move(w.out)),
        slot(slot_),
        max_new(w.max_new),
        group(w.group),
        sampler(params.sampling, params.prompt, &tok),
        decoder(tok),
        stops(params.stop_strings) {
    if (params.json) json.emplace(params.json);
  }
  SeqParams params;
  std::shared_ptr<SeqStream> out;
  int slot;
  int64_t max_new;
  size_t fed = 0;         // prompt tokens already in the cache
  int64_t group = 0;      // of a submit_n group (0: alone)
  bool awaiting = false;  // a group member waiting for the group's prefill (not in any step)
  const Active* source =
      nullptr;           // set: waits until it has computed share_len prompt tokens (not in any step)
  size_t share_len = 0;  // ... of the prompt this sequence shares with it
  int chunk = 0;         // tokens this sequence contributes to the current step
  int32_t next_id = -1;  // sampled, to be fed at the next step
  int64_t generated = 0;
  bool finished = false;
  engine::Sampler sampler;
  tok::StreamDecoder decoder;
  engine::StopMatcher stops;
  std::optional<JsonRecognizer> json;      // response_format
  std::optional<engine::Drafter> drafter;  // speculative decoding (SchedulerOptions::draft)
  std::vector<int32_t> drafts;             // drafted tokens in this step, after next_id
};

namespace {

int context_of(const engine::Model& m, const SchedulerOptions& o) {
  int ctx = o.max_context > 0 ? o.max_context : m.config().max_context;
  if (ctx < 2) fail_input("context length must be at least 2 tokens, got {}", ctx);
  return ctx;
}

int checked_slots(int n) {
  if (n < 1 || n > 1024) fail_input("the number of parallel sequences must be in [1, 1024], got {}", n);
  return n;
}

}  // namespace

Scheduler::Scheduler(const engine::Model& model, const tok::Tokenizer& tok, SchedulerOptions options)
    : model_(model),
      tok_(tok),
      opts_(options),
      max_ctx_(context_of(model, options)),
      cache_(model.config(), checked_slots(options.n_slots), max_ctx_, options.kv_dtype),
      slot_tokens_(static_cast<size_t>(options.n_slots)),
      slot_used_(static_cast<size_t>(options.n_slots), 0) {
  if (opts_.prefill_chunk < 1)
    fail_input("prefill chunk must be at least 1 token, got {}", opts_.prefill_chunk);
  if (opts_.draft.enabled()) engine::validate(opts_.draft);
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& w : waiting_) w.out->finish("stop", "the model is shutting down", 0);
}

Scheduler::Waiting Scheduler::make_waiting(SeqParams params) const {
  const int64_t P = static_cast<int64_t>(params.prompt.size());
  if (P == 0) fail_input("the prompt has no tokens");
  const int V = model_.config().V;
  for (int32_t id : params.prompt)
    if (id < 0 || id >= V) fail_input("prompt token id {} is outside the vocabulary (size {})", id, V);
  engine::validate(params.sampling, V);
  if (P >= max_ctx_)
    throw net::ContextLengthError(
        fmt::format("the prompt has {} tokens but the context length is {} tokens: no room to generate", P,
                    max_ctx_),
        400, "");
  Waiting w;
  w.max_new = max_ctx_ - P;
  if (params.max_new_tokens >= 0) w.max_new = std::min(w.max_new, params.max_new_tokens);
  w.out = std::make_shared<SeqStream>();
  w.out->prompt_tokens_ = P;
  w.params = std::move(params);
  return w;
}

std::shared_ptr<SeqStream> Scheduler::submit(SeqParams params) {
  Waiting w = make_waiting(std::move(params));
  auto out = w.out;
  if (w.max_new == 0) {
    out->finish("length", "", 0);
    return out;
  }
  {
    std::lock_guard lk(mu_);
    if (stop_) fail("the model is shutting down");
    waiting_.push_back(std::move(w));
  }
  cv_.notify_all();
  return out;
}

std::vector<std::shared_ptr<SeqStream>> Scheduler::submit_n(SeqParams params, int n) {
  if (n < 1) fail_input("the number of sequences must be at least 1, got {}", n);
  Waiting first = make_waiting(std::move(params));
  auto signal = std::make_shared<StreamSignal>();
  std::vector<Waiting> ws;
  std::vector<std::shared_ptr<SeqStream>> outs;
  for (int i = 0; i < n; ++i) {
    Waiting w;
    w.params = first.params;
    w.params.sampling.seed = first.params.sampling.seed + static_cast<uint64_t>(i);
    w.max_new = first.max_new;
    w.out = std::make_shared<SeqStream>();
    w.out->prompt_tokens_ = first.out->prompt_tokens_;
    w.out->signal_ = signal;
    outs.push_back(w.out);
    ws.push_back(std::move(w));
  }
  if (first.max_new == 0) {
    for (auto& o : outs) o->finish("length", "", 0);
    return outs;
  }
  {
    std::lock_guard lk(mu_);
    if (stop_) fail("the model is shutting down");
    for (int i = 0; i < n; ++i) {
      if (i % opts_.n_slots == 0) ++next_group_;  // groups of at most n_slots, admitted whole
      ws[static_cast<size_t>(i)].group = next_group_;
      waiting_.push_back(std::move(ws[static_cast<size_t>(i)]));
    }
  }
  cv_.notify_all();
  return outs;
}

Scheduler::Stats Scheduler::stats() const {
  std::lock_guard lk(mu_);
  Stats s = stats_;
  s.waiting = static_cast<int64_t>(waiting_.size());
  s.kv_cells_total = static_cast<int64_t>(opts_.n_slots) * max_ctx_;
  return s;
}

void Scheduler::publish_gauges(size_t running) {
  stats_.running = static_cast<int64_t>(running);
  int64_t used = 0;
  for (int s = 0; s < opts_.n_slots; ++s) used += cache_.length(s);
  stats_.kv_cells_used = used;
  stats_.kv_cells_written = cache_.cells_written();
}

void Scheduler::loop() {
  if (opts_.threads > 0) omp_set_num_threads(opts_.threads);
  std::vector<std::unique_ptr<Active>> active;
  std::vector<bool> busy(static_cast<size_t>(opts_.n_slots), false);
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !waiting_.empty() || !active.empty(); });
      if (stop_) break;
      admit(active, busy);
      publish_gauges(active.size());
    }
    resolve_shares(active);
    for (auto& a : active)
      if (a->out->cancelled()) {
        a->finished = true;
        a->out->finish("stop", "", a->generated);
      }
    if (std::any_of(active.begin(), active.end(), [](const auto& a) { return !a->finished; })) step(active);
    resolve_shares(active);  // before any source leaves
    for (auto it = active.begin(); it != active.end();) {
      if ((*it)->finished) {
        promote_follower(**it, active);
        busy[static_cast<size_t>((*it)->slot)] = false;
        it = active.erase(it);
      } else {
        ++it;
      }
    }
    std::lock_guard lk(mu_);
    publish_gauges(active.size());
  }
  for (auto& a : active) a->out->finish("stop", "the model is shutting down", a->generated);
}

// Moves waiting sequences into free slots, in order; a submit_n group only as a whole (the queue
// waits until it fits). The first admitted member of a group prefills the prompt; the others wait
// for it (share_prefill).
void Scheduler::admit(std::vector<std::unique_ptr<Active>>& active, std::vector<bool>& busy) {
  while (!waiting_.empty()) {
    const int64_t group = waiting_.front().group;
    size_t members = 1;
    while (group > 0 && members < waiting_.size() && waiting_[members].group == group) ++members;
    if (active.size() + members > static_cast<size_t>(opts_.n_slots)) break;
    bool have_leader = false;
    for (size_t k = 0; k < members; ++k) {
      Waiting w = std::move(waiting_.front());
      waiting_.pop_front();
      if (w.out->cancelled()) {
        w.out->finish("stop", "", 0);
        continue;
      }
      const int slot = pick_slot(w.params.prompt, busy);
      busy[static_cast<size_t>(slot)] = true;
      auto a = std::make_unique<Active>(std::move(w), slot, tok_);
      if (opts_.draft.enabled() && !a->params.json)
        a->drafter.emplace(opts_.draft, a->params.sampling, max_ctx_);
      const int64_t cached = reuse_slot(slot, a->params.prompt);
      a->fed = static_cast<size_t>(cached);
      ++stats_.sequences;
      stats_.prompt_tokens_total += static_cast<int64_t>(a->params.prompt.size());
      if (group > 0 && have_leader) {
        a->awaiting = true;  // its prompt comes from the leader's slot (counted as cached then)
      } else {
        have_leader = true;
        a->out->started(cached);
        stats_.prefix_hits += cached > 0 ? 1 : 0;
        stats_.prompt_tokens_cached += cached;
        if (opts_.prefix_cache) find_source(*a, active);
      }
      active.push_back(std::move(a));
    }
  }
}

// Sequences running at once often share a long prompt prefix (the paragraphs of `write --parallel`:
// instruction and plan, then each its own step). A new sequence whose prompt shares at least
// kMinShare tokens more with a running sequence's than its own slot kept waits, out of the steps,
// until that sequence has computed the shared prefix, then copies its keys and values
// (resolve_shares) and prefills only the rest.
void Scheduler::find_source(Active& a, const std::vector<std::unique_ptr<Active>>& active) const {
  constexpr size_t kMinShare = 32;
  const size_t P = a.params.prompt.size();
  for (const auto& b : active) {
    if (b->finished || b->awaiting || b->source) continue;
    const size_t shared = std::min(common_prefix(b->params.prompt, a.params.prompt), P - 1);
    if (shared >= a.fed + kMinShare && shared > a.share_len) {
      a.source = b.get();
      a.share_len = shared;
    }
  }
}

// Waiters whose source has computed the shared prefix copy it (the first tokens of a slot are its
// sequence's prompt); those whose source ended before go on alone from what they have.
void Scheduler::resolve_shares(std::vector<std::unique_ptr<Active>>& active) {
  for (auto& a : active) {
    if (!a->source || a->finished) continue;
    const Active& s = *a->source;
    if (slot_tokens_[static_cast<size_t>(s.slot)].size() >= a->share_len) {
      const auto n = static_cast<std::ptrdiff_t>(a->share_len);
      cache_.copy_prefix(s.slot, a->slot, static_cast<int>(n));
      slot_tokens_[static_cast<size_t>(a->slot)].assign(a->params.prompt.begin(),
                                                        a->params.prompt.begin() + n);
      {
        std::lock_guard lk(mu_);
        stats_.prefix_hits += a->fed == 0 ? 1 : 0;
        stats_.prompt_tokens_cached += static_cast<int64_t>(a->share_len - a->fed);
      }
      a->fed = a->share_len;
      a->out->started(static_cast<int64_t>(a->fed));
      a->source = nullptr;
    } else if (s.finished) {
      a->source = nullptr;
    }
  }
}

// A group's leader ended before its prompt was complete (cancelled, or a failed pass): the next
// waiting member prefills instead, from what its own slot holds.
void Scheduler::promote_follower(const Active& gone, std::vector<std::unique_ptr<Active>>& active) {
  if (gone.group == 0 || gone.awaiting || gone.fed >= gone.params.prompt.size()) return;
  for (auto& a : active) {
    if (a->finished || a->group != gone.group || !a->awaiting) continue;
    a->awaiting = false;
    a->out->started(static_cast<int64_t>(a->fed));
    std::lock_guard lk(mu_);
    stats_.prefix_hits += a->fed > 0 ? 1 : 0;
    stats_.prompt_tokens_cached += static_cast<int64_t>(a->fed);
    return;
  }
}

// The leader's prompt is complete: every waiting member of its group gets a copy of the prompt's
// keys and values and samples its first token from the same logits row.
void Scheduler::share_prefill(const Active& leader, std::span<const float> row,
                              std::vector<std::unique_ptr<Active>>& active) {
  const auto P = static_cast<int>(leader.params.prompt.size());
  for (auto& f : active) {
    if (f->finished || f->group != leader.group || !f->awaiting) continue;
    cache_.copy_prefix(leader.slot, f->slot, P);
    slot_tokens_[static_cast<size_t>(f->slot)] = leader.params.prompt;
    f->fed = static_cast<size_t>(P);
    f->awaiting = false;
    f->out->started(P);
    {
      std::lock_guard lk(mu_);
      stats_.prompt_tokens_cached += P;
    }
    sample(*f, row);
  }
}

// The free slot to run `prompt` in: the one with the longest common prefix (the least recently used
// among ties) when it saves at least kMinReuseGain tokens more than the least recently used free
// slot would, else that least recently used slot. The margin keeps a request that shares only a
// chat header or a template's opening with every slot from evicting a chain that is about to
// continue while an unused slot is free.
int Scheduler::pick_slot(const std::vector<int32_t>& prompt, const std::vector<bool>& busy) const {
  constexpr size_t kMinReuseGain = 32;
  int best = -1, lru = -1;
  size_t best_lcp = 0, lru_lcp = 0;
  for (int s = 0; s < opts_.n_slots; ++s) {
    const auto i = static_cast<size_t>(s);
    if (busy[i]) continue;
    const size_t lcp = opts_.prefix_cache ? common_prefix(slot_tokens_[i], prompt) : 0;
    if (lru < 0 || slot_used_[i] < slot_used_[static_cast<size_t>(lru)]) {
      lru = s;
      lru_lcp = lcp;
    }
    if (best < 0 || lcp > best_lcp ||
        (lcp == best_lcp && slot_used_[i] < slot_used_[static_cast<size_t>(best)])) {
      best = s;
      best_lcp = lcp;
    }
  }
  LW_CHECK(best >= 0, "no free KV cache slot");
  return best_lcp >= lru_lcp + kMinReuseGain ? best : lru;
}

// Keeps the slot's cached prefix shared with `prompt` (all but at least the prompt's last token,
// which is recomputed for its logits) and drops the rest; returns the tokens kept.
int64_t Scheduler::reuse_slot(int slot, const std::vector<int32_t>& prompt) {
  auto& toks = slot_tokens_[static_cast<size_t>(slot)];
  LW_CHECK(static_cast<int>(toks.size()) == cache_.length(slot), "slot {} holds {} tokens but its cache {}",
           slot, toks.size(), cache_.length(slot));
  size_t keep = opts_.prefix_cache ? std::min(common_prefix(toks, prompt), prompt.size() - 1) : 0;
  toks.resize(keep);
  cache_.set_length(slot, static_cast<int>(keep));
  slot_used_[static_cast<size_t>(slot)] = ++tick_;
  return static_cast<int64_t>(keep);
}

void Scheduler::step(std::vector<std::unique_ptr<Active>>& active) {
  // Pack one batch: a decode token per generating sequence, prompt chunks within the budget.
  engine::Batch b;
  b.cu_seqlens.push_back(0);
  std::vector<Active*> rows;
  int budget = opts_.prefill_chunk;
  int64_t prompt_fed = 0;
  int64_t decode_rows = 0;
  for (auto& a : active) {
    if (a->finished || a->awaiting || a->source) continue;
    const size_t P = a->params.prompt.size();
    if (a->fed < P) {
      if (budget <= 0) continue;
      a->chunk = static_cast<int>(std::min<size_t>(P - a->fed, static_cast<size_t>(budget)));
      budget -= a->chunk;
      prompt_fed += a->chunk;
      b.tokens.insert(b.tokens.end(), a->params.prompt.begin() + static_cast<std::ptrdiff_t>(a->fed),
                      a->params.prompt.begin() + static_cast<std::ptrdiff_t>(a->fed + a->chunk));
    } else {
      a->chunk = 1;
      b.tokens.push_back(a->next_id);
      propose_drafts(*a);
      b.tokens.insert(b.tokens.end(), a->drafts.begin(), a->drafts.end());
      ++decode_rows;
    }
    b.logit_rows.push_back(a->fed < P ? 1 : 1 + static_cast<int32_t>(a->drafts.size()));
    b.cu_seqlens.push_back(static_cast<int32_t>(b.tokens.size()));
    b.slots.push_back(a->slot);
    rows.push_back(a.get());
  }
  b.all_logits = false;  // (sum of logit_rows, V): the last position of each sequence, all K+1 of a verify
  // A step with decode rows only is timed for the aggregate decode rate (Stats::decode_only_*).
  const bool decode_only = prompt_fed == 0 && decode_rows > 0;
  const auto t0 = std::chrono::steady_clock::now();
  int64_t generated_before = 0;
  if (decode_only)
    for (const Active* a : rows) generated_before += a->generated;
  try {
    engine::forward(model_, b, &cache_, ws_, logits_);
  } catch (const std::exception& e) {
    log::error("forward pass failed: {}", e.what());
    for (Active* a : rows) {
      a->finished = true;
      a->out->finish("stop", e.what(), a->generated);
      // What the failed pass left in the slot is unknown: forget it.
      cache_.clear(a->slot);
      slot_tokens_[static_cast<size_t>(a->slot)].clear();
    }
    return;
  }
  for (size_t r = 0; r < rows.size(); ++r) {  // the tokens now in each slot's cache
    auto& toks = slot_tokens_[static_cast<size_t>(rows[r]->slot)];
    toks.insert(toks.end(), b.tokens.begin() + b.cu_seqlens[r], b.tokens.begin() + b.cu_seqlens[r + 1]);
  }
  {
    std::lock_guard lk(mu_);
    ++stats_.steps;
    stats_.max_batch_seqs = std::max<int64_t>(stats_.max_batch_seqs, static_cast<int64_t>(rows.size()));
    stats_.prompt_tokens += prompt_fed;
    if (decode_rows > 0) {
      ++stats_.decode_steps;
      stats_.decode_rows += decode_rows;
      stats_.max_decode_seqs = std::max(stats_.max_decode_seqs, decode_rows);
    }
  }
  const int V = model_.config().V;
  size_t first_row = 0;  // of sequence r's logit rows
  for (size_t r = 0; r < rows.size(); ++r) {
    Active& a = *rows[r];
    const size_t at = first_row;
    first_row += static_cast<size_t>(b.logit_rows[r]);
    if (a.fed < a.params.prompt.size()) {
      a.fed += static_cast<size_t>(a.chunk);
      if (a.fed < a.params.prompt.size()) continue;  // more prompt to feed
    }
    if (!a.drafts.empty()) {
      verify_drafts(a, logits_.data() + at * static_cast<size_t>(V));
      continue;
    }
    const std::span<const float> row(logits_.data() + at * static_cast<size_t>(V), static_cast<size_t>(V));
    const bool prompt_done = a.generated == 0;
    sample(a, row);
    if (prompt_done && a.group > 0) share_prefill(a, row, active);
  }
  if (decode_only) {
    int64_t generated_after = 0;
    for (const Active* a : rows) generated_after += a->generated;
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::lock_guard lk(mu_);
    ++stats_.decode_only_steps;
    stats_.decode_only_tokens += generated_after - generated_before;
    stats_.decode_only_seconds += dt;
  }
}

// A generating sequence's drafts for this step (a.drafts, empty for a plain decode step): never
// more than the tokens it may still emit less the bonus one, nor than its slot holds.
void Scheduler::propose_drafts(Active& a) {
  a.drafts.clear();
  if (!a.drafter) return;
  const int in_cache = cache_.length(a.slot);
  const int64_t k =
      std::min<int64_t>({opts_.draft.draft_max, a.max_new - a.generated - 1, max_ctx_ - in_cache - 1});
  if (k < opts_.draft.draft_min) return;
  std::vector<int32_t> seq = slot_tokens_[static_cast<size_t>(a.slot)];  // prompt + reply, but next_id
  seq.push_back(a.next_id);
  const auto d = a.drafter->propose(seq, static_cast<int>(k));
  if (static_cast<int>(d.size()) >= opts_.draft.draft_min) a.drafts.assign(d.begin(), d.end());
}

// Row i of `logits` (K+1 rows) follows the step's token i (next_id, then the drafts): each draft
// is accepted or replaced (engine::verify_draft), after K accepted the last row gives one more;
// the slot keeps next_id and the accepted drafts.
void Scheduler::verify_drafts(Active& a, const float* logits) {
  const auto V = static_cast<size_t>(model_.config().V);
  const int K = static_cast<int>(a.drafts.size());
  const int base = cache_.length(a.slot) - (K + 1);
  int accepted = 0;
  // Counted before the tokens are taken: a reader sees the counts once the sequence has ended.
  auto count = [&](const engine::DraftStats& d) {
    a.out->add_drafts(d);
    std::lock_guard lk(mu_);
    stats_.draft.add(d);
  };
  count({1, K, 0});
  for (int i = 0; i <= K && !a.finished; ++i) {
    const std::span<const float> row(logits + static_cast<size_t>(i) * V, V);
    if (i == K) {
      sample(a, row);
      break;
    }
    const engine::Verdict v = engine::verify_draft(a.sampler, row, a.drafts[static_cast<size_t>(i)],
                                                   a.drafter->q(i), verify_scratch_);
    if (v.accepted) count({0, 0, 1});
    accept(a, v.id, row);
    if (!v.accepted) break;
    ++accepted;
  }
  cache_.set_length(a.slot, base + 1 + accepted);
  slot_tokens_[static_cast<size_t>(a.slot)].resize(static_cast<size_t>(base + 1 + accepted));
  a.drafts.clear();
}

// Samples the sequence's next token from its logits row (through its JSON constraint) and takes it.
void Scheduler::sample(Active& a, std::span<const float> row) {
  if (!a.json) {
    accept(a, a.sampler.sample(row), row);
    return;
  }
  const std::span<const float> allowed = constrain(a, row);
  if (allowed.empty()) {
    end(a, "length");  // no token keeps the JSON completable (cannot happen with single-byte tokens)
    return;
  }
  accept(a, a.sampler.sample(allowed), row);
}

// Takes one sampled token: stop id, text (through the stop-string matcher), or the length limit.
void Scheduler::accept(Active& a, int32_t id, std::span<const float> logits) {
  if (a.generated == 0) a.out->first_token();
  ++a.generated;
  {
    std::lock_guard lk(mu_);
    ++stats_.tokens_generated;
  }
  const auto& stop_ids = a.params.stop_ids;
  if (std::find(stop_ids.begin(), stop_ids.end(), id) != stop_ids.end()) {
    end(a, "stop");
    return;
  }
  if (a.params.top_logprobs >= 0)
    a.out->add_logprob(engine::token_logprob(logits, id, a.params.top_logprobs));
  a.out->emit(a.stops.push(a.decoder.push(id)));
  if (a.json) a.json->feed(token_bytes_[static_cast<size_t>(id)]);
  if (a.stops.stopped() || (a.json && a.json->complete())) {
    end(a, "stop");
  } else if (a.generated >= a.max_new) {
    end(a, "length");
  } else {
    a.next_id = id;
  }
}

// The row with every token masked (-inf) that the sequence's JSON recognizer refuses, or after which
// the value could not be completed in the tokens left (one token per byte of the minimal
// completion); empty when no token is left.
std::span<const float> Scheduler::constrain(Active& a, std::span<const float> row) {
  const int V = static_cast<int>(row.size());
  if (token_bytes_.empty()) {
    token_bytes_.resize(static_cast<size_t>(V));
    const int n = std::min(V, tok_.vocab_size());
    for (int id = 0; id < n; ++id)
      if (!tok_.is_special(id)) token_bytes_[static_cast<size_t>(id)] = tok_.token_bytes(id);
  }
  masked_.assign(row.begin(), row.end());
  const int64_t left = a.max_new - a.generated - 1;  // tokens after this one
  bool first_ok[256];  // which first bytes the recognizer takes (most tokens fail here)
  for (int c = 0; c < 256; ++c) {
    JsonRecognizer r = *a.json;
    first_ok[c] = r.feed(std::string(1, static_cast<char>(c)));
  }
  bool any = false;
  std::vector<std::pair<int, size_t>> over;  // taken, but the completion would not fit: (id, its length)
  for (int id = 0; id < V; ++id) {
    const std::string& b = token_bytes_[static_cast<size_t>(id)];
    bool ok = !b.empty() && first_ok[static_cast<unsigned char>(b[0])];
    if (ok) {
      JsonRecognizer r = *a.json;
      ok = r.feed(b);
      if (ok && !r.complete() && left <= 1024) {
        const size_t need = r.minimal_completion().size();
        if (left <= 0 || static_cast<int64_t>(need) > left) {
          over.emplace_back(id, need);
          ok = false;
        }
      }
    }
    if (!ok) masked_[static_cast<size_t>(id)] = -std::numeric_limits<float>::infinity();
    any |= ok;
  }
  if (!any && !over.empty()) {  // too few tokens left for any completion: the shortest ones
    size_t best = over[0].second;
    for (const auto& [id, need] : over) best = std::min(best, need);
    for (const auto& [id, need] : over)
      if (need == best) masked_[static_cast<size_t>(id)] = row[static_cast<size_t>(id)];
    any = true;
  }
  return any ? std::span<const float>(masked_) : std::span<const float>();
}

void Scheduler::end(Active& a, const std::string& reason) {
  if (!a.stops.stopped()) {
    std::string tail = a.stops.push(a.decoder.flush());
    tail += a.stops.flush();
    a.out->emit(std::move(tail));
  }
  a.finished = true;
  a.out->finish(reason, "", a.generated);
}

}  // namespace lw::serve
