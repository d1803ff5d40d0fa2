#include "engine/model.hpp"

#include <cstdlib>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "util/error.hpp"

namespace lw::engine {

Model::Model(ModelConfig cfg, ModelWeights w, std::vector<std::shared_ptr<void>> storage,
             std::string source)
    : cfg_(std::move(cfg)),
      w_(std::move(w)),
      storage_(std::move(storage)),
      inv_freq_(rope_inv_freq(cfg_)),
      source_(std::move(source)) {}

size_t Model::weight_bytes() const {
  size_t n = w_.tok_embd.nbytes() + w_.final_norm.nbytes();
  if (!cfg_.tie_word_embeddings) n += w_.lm_head.nbytes();
  for (const auto& L : w_.layers) {
    for (const Tensor* t : {&L.attn_norm, &L.wq, &L.wk, &L.wv, &L.wo, &L.bq, &L.bk, &L.bv,
                            &L.ffn_norm, &L.w_gate, &L.w_up, &L.w_down})
      if (!t->empty()) n += t->nbytes();
  }
  return n;
}

std::string Model::describe() const {
  const auto& c = cfg_;
  return fmt::format(
      "{} {}: {} layers, hidden {}, heads {}/{} x {}, ffn {}, vocab {}, context {}, weights {} "
      "({:.1f} MB, {:.1f}M params)",
      arch_name(c.arch), source_, c.n_layer, c.C, c.n_head, c.n_kv_head, c.hd, c.ffn, c.V,
      c.max_context, dtype_name(w_.layers.empty() ? w_.tok_embd.dtype : w_.layers[0].wq.dtype),
      weight_bytes() / 1e6, c.n_params() / 1e6);
}

std::shared_ptr<void> alloc_buffer(size_t bytes) {
  size_t n = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, n ? n : 64);
  if (!p) fail("out of memory allocating {} bytes", bytes);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

std::unique_ptr<Model> make_model(const ModelConfig& cfg, const ModelWeights& w) {
  cfg.validate();
  return std::make_unique<Model>(cfg, w, std::vector<std::shared_ptr<void>>{}, "memory");
}

std::unique_ptr<Model> make_random_model(const ModelConfig& cfg, uint64_t seed, DType dtype,
                                         float std) {
  cfg.validate();
  std::vector<std::shared_ptr<void>> storage;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> tmp;
  ModelWeights w = bind_weights(cfg, [&](const ParamSpec& s) {
    const bool small = s.role == ParamRole::norm || s.role == ParamRole::bias;
    const DType dt = small ? DType::f32 : dtype;
    int64_t n = s.numel();
    tmp.resize(static_cast<size_t>(n));
    for (auto& v : tmp) {
      float z = nd(rng);
      v = s.role == ParamRole::norm ? 1.0f + 0.1f * z : std * z;
    }
    auto buf = alloc_buffer(dtype_bytes(dt, n));
    from_f32(dt, tmp.data(), buf.get(), n);
    storage.push_back(buf);
    return Tensor{dt, buf.get(), s.shape};
  });
  return std::make_unique<Model>(cfg, std::move(w), std::move(storage), "random");
}

// ---- Batch ----

Batch Batch::single(std::span<const int32_t> ids, int slot, bool all_logits) {
  Batch b;
  b.tokens.assign(ids.begin(), ids.end());
  b.cu_seqlens = {0, static_cast<int32_t>(ids.size())};
  b.slots = {slot};
  b.all_logits = all_logits;
  return b;
}

Batch Batch::packed(const std::vector<std::vector<int32_t>>& seqs, bool all_logits) {
  Batch b;
  b.cu_seqlens.push_back(0);
  for (size_t s = 0; s < seqs.size(); ++s) {
    b.tokens.insert(b.tokens.end(), seqs[s].begin(), seqs[s].end());
    b.cu_seqlens.push_back(static_cast<int32_t>(b.tokens.size()));
    b.slots.push_back(static_cast<int>(s));
  }
  b.all_logits = all_logits;
  return b;
}

Batch Batch::decode(std::span<const int32_t> next_ids, std::span<const int> slots) {
  LW_CHECK(next_ids.size() == slots.size(), "Batch::decode: one id per slot");
  Batch b;
  b.tokens.assign(next_ids.begin(), next_ids.end());
  for (size_t i = 0; i <= next_ids.size(); ++i) b.cu_seqlens.push_back(static_cast<int32_t>(i));
  b.slots.assign(slots.begin(), slots.end());
  return b;
}

}  // namespace lw::engine
