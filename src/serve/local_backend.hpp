#pragma once
// The in-process engine as a net::ChatBackend: what write, agentwrite, bench predict, ruler and
// judge use when --base-url is absent and --model is a local model (directory or .gguf), and what
// `longwriter serve` puts behind its HTTP API.
//
// complete() renders the messages with the model's chat format (tokenizer/chat_format.hpp), hands
// the prompt to the continuous-batching scheduler (serve/scheduler.hpp) and streams the reply's
// text to on_delta from the calling thread. Concurrent callers are decoded together, up to
// `parallel` sequences per step; more callers wait their turn. Honours max_tokens, temperature,
// top_p, seed, stop and the sampling extras (penalties, DRY, min_p, top_k, logit_bias); usage.cached_tokens counts the prompt tokens the scheduler's prefix
// cache supplied; finish_reason is "stop" or "length" (max_tokens or the context limit).
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/model.hpp"
#include "net/chat.hpp"
#include "serve/scheduler.hpp"
#include "tokenizer/chat_format.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lw::serve {

struct LocalOptions {
  std::string format;          // chat format name; "" detects it from the model
  std::string tokenizer;       // tokenizer file or directory; "" = the model's own
  int threads = 0;             // engine threads (0: all cores)
  int parallel = 8;            // sequences decoded together
  int max_context = 0;         // tokens per sequence (0: the model's, at most 32768)
  int prefill_chunk = 512;     // prompt tokens per scheduler step
  engine::DType kv_dtype = engine::DType::f16;  // KV cache dtype (f32, f16, bf16, q8_0, q4_0)
  bool prefix_cache = true;    // reuse cached prompt prefixes across requests (scheduler.hpp)
  double default_temperature = 1.0;  // when a request gives none (the OpenAI default)
  double default_top_p = 1.0;
  net::SamplingExtras default_extras;  // penalties, DRY, min_p, top_k, logit_bias a request leaves unset
  engine::LoadOptions load;    // dtype conversion at load time
  // Speculative decoding (engine/speculative.hpp, SchedulerOptions::draft): draft.lookup, or a
  // draft model loaded from draft_model (vocabulary checked against the model's).
  engine::DraftOptions draft;
  std::string draft_model;
};

class LocalBackend : public net::ChatBackend {
 public:
  LocalBackend(std::unique_ptr<engine::Model> model, std::unique_ptr<tok::Tokenizer> tok,
               tok::ChatFormatId format, const LocalOptions& options, std::string name);
  ~LocalBackend() override;

  net::ChatResponse complete(const net::ChatRequest& request, const net::DeltaCallback& on_delta = {}) override;
  // Decoded together: the prompt prefilled once and its keys and values shared
  // (Scheduler::submit_n); without a request seed, a random one is the base (reply i: base + i).
  std::vector<net::ChatResponse> complete_n(const net::ChatRequest& request, int n,
                                            const net::ChoiceCallbacks& cb = {}) override;
  int suggested_concurrency() const override;
  std::string describe() const override;
  std::optional<int64_t> count_tokens(std::string_view text) const override;
  std::optional<net::CacheStats> cache_stats() const override;
  std::optional<net::KvCacheInfo> kv_cache_info() const override;
  std::optional<net::EngineLoad> engine_load() const override;

  // The model's name for API replies (directory or file name).
  const std::string& name() const { return name_; }
  const engine::Model& model() const { return *model_; }
  const tok::Tokenizer& tokenizer() const { return *tok_; }
  const tok::ChatFormat& chat_format() const { return format_; }
  const Scheduler& scheduler() const { return *sched_; }

 private:
  SeqParams params_of(const net::ChatRequest& req) const;
  std::vector<net::TokenLogprob> net_logprobs(SeqStream& out) const;
  void finish_reply(const SeqStream& out, std::chrono::steady_clock::time_point t0,
                    net::ChatResponse& r) const;

  std::unique_ptr<engine::Model> model_;
  std::unique_ptr<tok::Tokenizer> tok_;
  std::unique_ptr<engine::Model> draft_model_;  // LocalOptions::draft_model (before sched_, which uses it)
  tok::ChatFormat format_;
  LocalOptions opts_;
  std::string name_;
  std::vector<int32_t> stop_ids_;
  std::unique_ptr<Scheduler> sched_;
};

// Loads the model (HF directory or .gguf), its tokenizer and chat format. Throws InputError naming
// the path and what is missing.
std::unique_ptr<LocalBackend> open_local_backend(const std::filesystem::path& path, const LocalOptions& options);
std::unique_ptr<net::ChatBackend> make_local_backend(const std::filesystem::path& path, const LocalOptions& options);

}  // namespace lw::serve
