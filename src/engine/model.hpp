#pragma once
// A loaded model: config + weight views + the storage that backs them (mmaps or owned buffers),
// and the forward pass over a packed batch, with or without a KV cache.
//
//   auto m = engine::load_model("models/tiny");            // HF dir or FILE.gguf
//   engine::KvCache cache(m->config(), /*n_slots=*/4, /*max_ctx=*/4096);
//   engine::Workspace ws;
//   engine::Batch b = engine::Batch::single(prompt_ids, /*slot=*/0);
//   std::vector<float> logits;                             // (rows, V)
//   engine::forward(*m, b, &cache, ws, logits);            // prefill, last row's logits
//   b = engine::Batch::decode({next0, next1}, {0, 1});     // one token for each of two slots
//   engine::forward(*m, b, &cache, ws, logits);            // (2, V)
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/config.hpp"
#include "engine/kv_cache.hpp"
#include "engine/params.hpp"

namespace lw::engine {

struct LoadOptions {
  // Convert matrices at load time (keep: storage dtype stays in memory). f32 turns bf16, f16 and
  // quantized weights into f32 (more memory); bf16 halves an f32 model.
  enum class Convert { keep, f32, bf16 } convert = Convert::keep;
  // Context limit override (0: the config's max_context).
  int max_context = 0;
  // GGUF llama files hold q/k rows in llama.cpp's adjacent-pair order. false (inference): keep
  // them so, mapped in place, and rotate adjacent pairs (config().rope_interleaved = true); true:
  // reorder them to HF's rotate-half order (a copy), for saving or training.
  bool hf_row_order = false;
  // Fault weights used in place from the file mapping in at load (so the first forward pass does
  // not pay a page fault per 4 KB). Off for one-pass readers such as convert.
  bool prefault = true;
  // Repack q4_k / q6_k / q8_0 matrices (groups of 16 rows; the last rows % 16 stay base rows) into their 16-row interleaved types at load
  // (quant/repack.hpp) when the CPU level has their kernels (AVX2 and up): multi-row decode spends
  // each weight load on every row without horizontal sums. Inference only: not with hf_row_order
  // (saving, converting, training read rows) and not when the environment sets LW_REPACK=0 (A/B runs).
  // The token embedding is repacked only when it is also the output matrix (tied).
  bool repack = true;
};

class Model {
 public:
  Model(ModelConfig cfg, ModelWeights w, std::vector<std::shared_ptr<void>> storage,
        std::string source);
  const ModelConfig& config() const { return cfg_; }
  const ModelWeights& weights() const { return w_; }
  const std::vector<float>& inv_freq() const { return inv_freq_; }
  // Where it came from (path) and a one-line summary (arch, dims, dtypes, bytes).
  const std::string& source() const { return source_; }
  std::string describe() const;
  // Bytes of weight storage (mapped or owned).
  size_t weight_bytes() const;

 private:
  ModelConfig cfg_;
  ModelWeights w_;
  std::vector<std::shared_ptr<void>> storage_;
  std::vector<float> inv_freq_;
  std::string source_;
};

// Loads an HF model directory (config.json + model.safetensors or model.safetensors.index.json
// shards), or a .gguf file. Throws InputError naming the file and tensor for missing or
// mis-shaped tensors, unsupported dtypes, truncated files.
std::unique_ptr<Model> load_model(const std::filesystem::path& path, const LoadOptions& opts = {});

// Builds a model around weights the caller owns (the trainer's f32 master weights, tests).
std::unique_ptr<Model> make_model(const ModelConfig& cfg, const ModelWeights& w);

// A model with random weights N(0, std) (and ones for norms), owned, in the given dtype. For tests
// and benchmarks.
std::unique_ptr<Model> make_random_model(const ModelConfig& cfg, uint64_t seed, DType dtype,
                                         float std = 0.02f);

// A 64-byte aligned heap buffer owned by the shared_ptr (model storage, scratch).
std::shared_ptr<void> alloc_buffer(size_t bytes);

// A packed batch of token sequences. Without a cache each sequence starts at position 0 (training,
// eval, --dump-logits). With a cache sequence s appends its tokens to slot slots[s] at positions
// cache.length(slot)...; its attention sees the cached tokens plus its own.
struct Batch {
  std::vector<int32_t> tokens;      // (T) all sequences' tokens back to back
  std::vector<int32_t> cu_seqlens;  // (n_seq + 1)
  std::vector<int> slots;           // (n_seq) cache slots; ignored without a cache
  bool all_logits = false;          // true: logits for every token (T, V); false: last of each (n_seq, V)
  // Without all_logits: per sequence, how many of its last positions get logits (empty: 1 each);
  // rows = their sum, in sequence order. A speculative verify step needs all K+1 rows of its
  // sequence while the batch's other sequences need only their last (serve/scheduler.cpp).
  std::vector<int32_t> logit_rows;  // (n_seq)

  int T() const { return static_cast<int>(tokens.size()); }
  int n_seq() const { return static_cast<int>(cu_seqlens.size()) - 1; }
  static Batch single(std::span<const int32_t> ids, int slot = 0, bool all_logits = false);
  static Batch packed(const std::vector<std::vector<int32_t>>& seqs, bool all_logits = true);
  static Batch decode(std::span<const int32_t> next_ids, std::span<const int> slots);
};

// Activation buffers reused across calls (grown as needed).
struct Workspace {
  std::vector<float> x, xn, q, k, v, att, ff_gate, ff_up, rope_cos, rope_sin;  // see forward.cpp
  std::vector<int32_t> pos;
};

// Runs the model over a batch. logits is resized to (rows, V), rows = T (all_logits) or n_seq.
// With a cache, each slot's length grows by its sequence's token count; throws InputError when a
// slot would exceed max_ctx.
void forward(const Model& m, const Batch& b, KvCache* cache, Workspace& ws,
             std::vector<float>& logits);

}  // namespace lw::engine
