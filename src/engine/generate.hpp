#pragma once
// Generation for one sequence: prefill the prompt, then decode token by token with a sampler (or
// several tokens per step with a draft source: GenerateOptions::draft) until a stop id, a stop
// string, max_new_tokens or the context limit. Streams text through the
// tokenizer's StreamDecoder (exact incremental UTF-8) and holds back text that could still become a
// stop string. Batched decoding of many sequences is forward() with Batch::decode (model.hpp); the
// server builds its scheduler from those pieces.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model.hpp"
#include "engine/sampler.hpp"
#include "engine/speculative.hpp"

namespace lw::tok {
class Tokenizer;
}

namespace lw::engine {

struct GenerateOptions {
  int max_new_tokens = 256;           // capped by the context (max_context - prompt length)
  SamplingParams sampling;
  std::vector<int32_t> stop_ids;      // generation ends after emitting one of these (not printed)
  std::vector<std::string> stop_strings;  // text stop: output is cut before the match
  int max_context = 0;                // 0: the model's max_context
  // KV cache dtype: f16 (the default, as llama.cpp's) halves its memory and what a decode step
  // reads at long context; f32 keeps keys and values exactly (decode equals a full recompute).
  DType kv_dtype = DType::f16;
  // Speculative decoding (engine/speculative.hpp): off unless a draft source is set. Greedy output
  // is the same either way; sampled output has the same distribution (not the same draws).
  DraftOptions draft;
};

struct GenerateResult {
  std::vector<int32_t> tokens;  // generated ids (a final stop id included)
  std::string text;             // decoded text (without the stop id's text or a stop string)
  std::string finish_reason;    // "stop" (stop id or string) or "length"
  int prompt_tokens = 0;
  double prefill_s = 0.0, decode_s = 0.0;
  size_t kv_cache_bytes = 0;
  DraftStats draft;  // drafted / accepted tokens (zero without a draft source)
};

// Called for each generated token with the newly completed text (possibly empty). Return false to
// stop generating (finish_reason "stop").
using TokenCallback = std::function<bool(int32_t id, std::string_view text_delta)>;

// tok may be null: then text is empty and stop_strings must be empty.
GenerateResult generate(const Model& m, const tok::Tokenizer* tok, std::span<const int32_t> prompt,
                        const GenerateOptions& opts, const TokenCallback& on_token = {});

// Text holding-back for stop strings, independent of the model (tested alone): push() text as it
// is decoded and get back what is safe to emit; stopped() once a stop string appeared.
class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}
  std::string push(std::string_view text);
  std::string flush();  // the held-back tail at the end (nothing after a stop)
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace lw::engine
