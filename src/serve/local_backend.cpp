#include "serve/local_backend.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <fmt/ranges.h>

#include "io/gguf.hpp"
#include "serve/sampling_fields.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::serve {

namespace fs = std::filesystem;

namespace {

constexpr int kDefaultContextCap = 32768;

bool is_gguf(const fs::path& p) {
  return fs::is_regular_file(p) && p.extension() == ".gguf";
}

// The chat format: --format, else detected from the model directory or the GGUF metadata.
tok::ChatFormatId pick_format(const fs::path& path, const tok::Tokenizer& tok, const std::string& name) {
  if (!name.empty()) return tok::parse_chat_format(name);
  if (!is_gguf(path)) {
    auto d = tok::detect_chat_format(path, &tok);
    log::info("chat format {} ({})", tok::chat_format_name(d.id), d.reason);
    return d.id;
  }
  auto f = io::GgufFile::open(path);
  tok::ChatFormatHints h;
  h.chat_template = f.get_string_opt("tokenizer.chat_template").value_or("");
  if (auto a = f.get_string_opt("general.architecture")) h.architectures.push_back(*a);
  h.model_name = f.get_string_opt("general.name").value_or(path.stem().string());
  h.has_token = [&tok](std::string_view t) { return tok.token_to_id(t).has_value(); };
  auto d = tok::detect_chat_format(h);
  if (!d)
    fail_input("{}: cannot tell the model's chat format from its metadata; give --format ({})", path.string(),
               fmt::join(tok::chat_format_names(), ", "));
  log::info("chat format {} ({})", tok::chat_format_name(d->id), d->reason);
  return d->id;
}

std::string model_name_of(const fs::path& path) {
  fs::path p = path;
  if (p.filename().empty()) p = p.parent_path();  // "models/tiny/"
  return is_gguf(path) ? p.stem().string() : p.filename().string();
}

}  // namespace

LocalBackend::LocalBackend(std::unique_ptr<engine::Model> model, std::unique_ptr<tok::Tokenizer> tok,
                           tok::ChatFormatId format, const LocalOptions& options, std::string name)
    : model_(std::move(model)),
      tok_(std::move(tok)),
      format_(format, *tok_),
      opts_(options),
      name_(std::move(name)) {
  stop_ids_ = format_.stop_ids();
  for (int32_t id : model_->config().eos_ids)
    if (std::find(stop_ids_.begin(), stop_ids_.end(), id) == stop_ids_.end()) stop_ids_.push_back(id);
  SchedulerOptions so;
  so.n_slots = opts_.parallel;
  so.max_context =
      opts_.max_context > 0 ? opts_.max_context : std::min(model_->config().max_context, kDefaultContextCap);
  so.prefill_chunk = opts_.prefill_chunk;
  so.threads = opts_.threads;
  so.kv_dtype = opts_.kv_dtype;
  so.prefix_cache = opts_.prefix_cache;
  so.draft = opts_.draft;
  if (!opts_.draft_model.empty()) {
    draft_model_ = engine::load_draft_model(opts_.draft_model, *model_, tok_.get(), opts_.load);
    so.draft.draft_model = draft_model_.get();
    log::info("draft model {}: {}", opts_.draft_model, draft_model_->describe());
  }
  sched_ = std::make_unique<Scheduler>(*model_, *tok_, so);
  log::info(
      "local model {}: {}, chat format {}, {} parallel sequences x {} tokens of context, KV cache {} MB "
      "reserved ({}), prefix cache {}",
      name_, model_->describe(), format_.name(), so.n_slots, sched_->max_context(),
      sched_->kv_cache_bytes() >> 20, engine::dtype_name(so.kv_dtype), so.prefix_cache ? "on" : "off");
}

LocalBackend::~LocalBackend() = default;

SeqParams LocalBackend::params_of(const net::ChatRequest& req) const {
  SeqParams p;
  if (req.prompt_text || !req.prompt_ids.empty()) {
    p.prompt = req.prompt_ids;
    if (req.prompt_text) {
      const int32_t bos = model_->config().bos_id >= 0 ? model_->config().bos_id : tok_->bos_id();
      if (bos >= 0) p.prompt.push_back(bos);
      auto ids = tok_->encode(*req.prompt_text);
      p.prompt.insert(p.prompt.end(), ids.begin(), ids.end());
    }
    p.stop_ids = model_->config().eos_ids;
  } else {
    if (req.messages.empty()) fail_input("the request has no messages");
    std::vector<tok::ChatMessage> msgs;
    msgs.reserve(req.messages.size());
    for (const auto& m : req.messages) msgs.push_back({m.role, m.content});
    p.prompt = format_.render_prompt(msgs);
    p.stop_ids = stop_ids_;
  }
  p.sampling.temperature = static_cast<float>(req.temperature.value_or(opts_.default_temperature));
  p.sampling.top_p = static_cast<float>(req.top_p.value_or(opts_.default_top_p));
  p.sampling.seed = req.seed ? static_cast<uint64_t>(*req.seed)
                             : (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  p.sampling = with_extras(p.sampling, net::merged(opts_.default_extras, req.extras));
  p.max_new_tokens = req.max_tokens.value_or(-1);
  p.stop_strings = req.stop;
  p.top_logprobs = req.top_logprobs.value_or(-1);
  if (req.json_response) {
    if (req.json_response->empty()) {
      p.json = any_json_object();
    } else {
      auto schema = nlohmann::json::parse(*req.json_response, nullptr, false);
      if (schema.is_discarded()) fail_input("response_format: the schema is not valid JSON");
      p.json = parse_json_schema(schema);
    }
    p.stop_strings.clear();  // a stop string would cut the JSON
  }
  return p;
}

std::vector<net::TokenLogprob> LocalBackend::net_logprobs(SeqStream& out) const {
  std::vector<net::TokenLogprob> got;
  for (auto& t : out.take_logprobs()) {
    net::TokenLogprob n{tok_->token_bytes(t.id), t.logprob, {}};
    for (auto [id, lp] : t.top) n.top.emplace_back(tok_->token_bytes(id), lp);
    got.push_back(std::move(n));
  }
  return got;
}

// The reply of an ended stream: its error thrown, else finish reason, usage and timings.
void LocalBackend::finish_reply(const SeqStream& out, std::chrono::steady_clock::time_point t0,
                                net::ChatResponse& r) const {
  if (!out.error().empty()) fail("local model {}: {}", name_, out.error());
  r.finish_reason = out.finish_reason();
  r.usage.prompt_tokens = out.prompt_tokens();
  r.usage.completion_tokens = out.completion_tokens();
  r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
  r.usage.cached_tokens = out.cached_tokens();
  r.prefill_seconds = out.prefill_seconds();
  r.decode_seconds = out.decode_seconds();
  const engine::DraftStats d = out.draft_stats();
  r.drafted_tokens = d.drafted;
  r.accepted_tokens = d.accepted;
  r.model = name_;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

net::ChatResponse LocalBackend::complete(const net::ChatRequest& req, const net::DeltaCallback& on_delta) {
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<SeqStream> out = sched_->submit(params_of(req));

  // Whatever happens here (on_delta throwing because a client went away), the sequence leaves
  // the batch; cancelling a finished sequence does nothing.
  struct CancelOnExit {
    SeqStream& s;
    ~CancelOnExit() { s.cancel(); }
  } guard{*out};

  net::ChatResponse r;
  std::string piece;
  if (req.top_logprobs) r.logprobs.emplace();
  auto take_logprobs = [&] {
    std::vector<net::TokenLogprob> got;
    if (!req.top_logprobs) return got;
    got = net_logprobs(*out);
    r.logprobs->insert(r.logprobs->end(), got.begin(), got.end());
    return got;
  };
  while (out->next(piece)) {
    r.content += piece;
    auto lp = take_logprobs();
    if (on_delta && req.on_logprobs && !lp.empty()) req.on_logprobs(std::move(lp));
    if (on_delta) on_delta(piece);
  }
  take_logprobs();
  finish_reply(*out, t0, r);
  return r;
}

// The n sequences go to the scheduler together (Scheduler::submit_n: one prefill, seeds seed + i)
// and are read here in turn as the shared signal reports news.
std::vector<net::ChatResponse> LocalBackend::complete_n(const net::ChatRequest& req, int n,
                                                        const net::ChoiceCallbacks& cb) {
  const auto t0 = std::chrono::steady_clock::now();
  auto outs = sched_->submit_n(params_of(req), n);
  struct CancelOnExit {
    std::vector<std::shared_ptr<SeqStream>>& s;
    ~CancelOnExit() {
      for (auto& x : s) x->cancel();
    }
  } guard{outs};
  std::vector<net::ChatResponse> rs(outs.size());
  if (req.top_logprobs)
    for (auto& r : rs) r.logprobs.emplace();
  std::vector<bool> ended(outs.size(), false);
  size_t left = outs.size();
  std::string piece;
  const auto& signal = outs.front()->signal();
  while (left > 0) {
    const uint64_t seen = signal->version();
    bool news = false;
    for (size_t i = 0; i < outs.size(); ++i) {
      if (ended[i]) continue;
      const int index = static_cast<int>(i);
      net::ChatResponse& r = rs[i];
      const SeqStream::Poll got = outs[i]->try_next(piece);
      if (got == SeqStream::Poll::empty) continue;
      news = true;
      if (req.top_logprobs) {
        auto lps = net_logprobs(*outs[i]);
        r.logprobs->insert(r.logprobs->end(), lps.begin(), lps.end());
        if (cb.on_logprobs && !lps.empty()) cb.on_logprobs(index, std::move(lps));
      }
      if (got == SeqStream::Poll::text) {
        r.content += piece;
        if (cb.on_delta) cb.on_delta(index, piece);
        continue;
      }
      ended[i] = true;
      --left;
      finish_reply(*outs[i], t0, r);
      if (cb.on_done) cb.on_done(index, r);
    }
    if (!news && left > 0) signal->wait(seen);
  }
  return rs;
}

int LocalBackend::suggested_concurrency() const {
  return sched_->n_slots();
}

std::string LocalBackend::describe() const {
  return fmt::format("local {} ({}, {} format, {} parallel)", name_, model_->describe(), format_.name(),
                     sched_->n_slots());
}

std::optional<int64_t> LocalBackend::count_tokens(std::string_view text) const {
  return static_cast<int64_t>(tok_->encode(text).size());
}

std::optional<net::CacheStats> LocalBackend::cache_stats() const {
  const Scheduler::Stats s = sched_->stats();
  net::CacheStats c;
  c.enabled = sched_->prefix_cache();
  c.requests = s.sequences;
  c.hits = s.prefix_hits;
  c.prompt_tokens = s.prompt_tokens_total;
  c.cached_tokens = s.prompt_tokens_cached;
  return c;
}

std::optional<net::KvCacheInfo> LocalBackend::kv_cache_info() const {
  const int64_t bytes = static_cast<int64_t>(sched_->kv_cache_bytes());
  const Scheduler::Stats s = sched_->stats();
  const int64_t per_token = s.kv_cells_total > 0 ? bytes / s.kv_cells_total : 0;
  return net::KvCacheInfo{engine::dtype_name(opts_.kv_dtype), bytes, per_token,
                          s.kv_cells_written * per_token};
}

std::optional<net::EngineLoad> LocalBackend::engine_load() const {
  const Scheduler::Stats s = sched_->stats();
  net::EngineLoad l{s.running,      s.waiting,     s.kv_cells_used,  s.kv_cells_total,
                    s.decode_steps, s.decode_rows, s.max_decode_seqs};
  l.decode_only_tokens = s.decode_only_tokens;
  l.decode_only_seconds = s.decode_only_seconds;
  l.speculative = sched_->options().draft.enabled();
  l.draft_steps = s.draft.steps;
  l.drafted = s.draft.drafted;
  l.draft_accepted = s.draft.accepted;
  return l;
}

std::unique_ptr<LocalBackend> open_local_backend(const fs::path& path, const LocalOptions& options) {
  if (!fs::exists(path)) fail_input("{}: no such model directory or .gguf file", path.string());
  auto model = engine::load_model(path, options.load);
  auto tok = tok::load_tokenizer(options.tokenizer.empty() ? path : fs::path(options.tokenizer));
  if (tok->vocab_size() > model->config().V)
    fail_input("{}: the tokenizer has {} tokens but the model's vocabulary has only {}", path.string(),
               tok->vocab_size(), model->config().V);
  tok::ChatFormatId format = pick_format(path, *tok, options.format);
  return std::make_unique<LocalBackend>(std::move(model), std::move(tok), format, options,
                                        model_name_of(path));
}

std::unique_ptr<net::ChatBackend> make_local_backend(const fs::path& path, const LocalOptions& options) {
  return open_local_backend(path, options);
}

}  // namespace lw::serve
