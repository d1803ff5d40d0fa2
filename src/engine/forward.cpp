// The model forward over a packed batch, with or without a KV cache.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "engine/model.hpp"
#include "engine/ops.hpp"
#include "util/error.hpp"

namespace lw::engine {

namespace {

// Tokens per chunk of the MLP and lm_head, bounding those buffers to (kChunk, ffn) / (kChunk, V).
constexpr int kChunk = 512;

template <typename T>
T* grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

void check_batch(const Batch& b, const ModelConfig& c, KvCache* cache) {
  if (b.cu_seqlens.size() < 2 || b.cu_seqlens.front() != 0 || b.cu_seqlens.back() != b.T())
    fail_input("batch: cu_seqlens must start at 0 and end at the token count {}", b.T());
  for (size_t s = 0; s + 1 < b.cu_seqlens.size(); ++s)
    if (b.cu_seqlens[s + 1] <= b.cu_seqlens[s])
      fail_input("batch: sequence {} is empty or cu_seqlens decreases", s);
  for (int32_t id : b.tokens)
    if (id < 0 || id >= c.V) fail_input("token id {} is outside the vocabulary [0, {})", id, c.V);
  if (!b.logit_rows.empty()) {
    if (static_cast<int>(b.logit_rows.size()) != b.n_seq())
      fail_input("batch: {} logit row counts for {} sequences", b.logit_rows.size(), b.n_seq());
    for (int s = 0; s < b.n_seq(); ++s)
      if (b.logit_rows[s] < 1 || b.logit_rows[s] > b.cu_seqlens[s + 1] - b.cu_seqlens[s])
        fail_input("batch: sequence {} asks for {} logit rows of its {} tokens", s, b.logit_rows[s],
                   b.cu_seqlens[s + 1] - b.cu_seqlens[s]);
  }
  if (!cache) return;
  if (static_cast<int>(b.slots.size()) != b.n_seq())
    fail_input("batch: {} slots for {} sequences", b.slots.size(), b.n_seq());
  std::set<int> seen;
  for (int s = 0; s < b.n_seq(); ++s) {
    int slot = b.slots[s];
    if (slot < 0 || slot >= cache->n_slots()) fail_input("batch: KV cache slot {} out of range", slot);
    if (!seen.insert(slot).second) fail_input("batch: KV cache slot {} used twice", slot);
    int n = b.cu_seqlens[s + 1] - b.cu_seqlens[s];
    if (cache->length(slot) + n > cache->max_ctx())
      fail_input("context limit: slot {} holds {} tokens, {} more exceed the limit of {}", slot,
                 cache->length(slot), n, cache->max_ctx());
  }
}

}  // namespace

void forward(const Model& m, const Batch& b, KvCache* cache, Workspace& ws, std::vector<float>& logits) {
  const ModelConfig& c = m.config();
  const ModelWeights& w = m.weights();
  check_batch(b, c, cache);
  const int T = b.T(), C = c.C, qd = c.q_dim(), kvd = c.kv_dim(), half = c.rot_dim() / 2;
  const int n_seq = b.n_seq();

  float* x = grow(ws.x, static_cast<size_t>(T) * C);                    // (T, C) residual stream
  float* xn = grow(ws.xn, static_cast<size_t>(T) * C);                  // (T, C) normed / projected
  float* q = grow(ws.q, static_cast<size_t>(T) * qd);                   // (T, n_head, hd)
  float* k = grow(ws.k, static_cast<size_t>(T) * kvd);                  // (T, n_kv_head, hd)
  float* v = grow(ws.v, static_cast<size_t>(T) * kvd);                  // (T, n_kv_head, hd)
  float* att = grow(ws.att, static_cast<size_t>(T) * std::max(qd, C));  // (T, n_head, hd); later (T, C)
  const int chunk = std::min(T, kChunk);
  float* gate = grow(ws.ff_gate, static_cast<size_t>(chunk) * c.ffn);  // (chunk, ffn)
  float* up = grow(ws.ff_up, static_cast<size_t>(chunk) * c.ffn);      // (chunk, ffn)
  float* cos = grow(ws.rope_cos, static_cast<size_t>(T) * half);       // (T, rot/2)
  float* sin = grow(ws.rope_sin, static_cast<size_t>(T) * half);       // (T, rot/2)
  int32_t* pos = grow(ws.pos, static_cast<size_t>(T));                 // (T)

  for (int s = 0; s < n_seq; ++s) {
    const int base = cache ? cache->length(b.slots[s]) : 0;
    for (int t = b.cu_seqlens[s]; t < b.cu_seqlens[s + 1]; ++t) pos[t] = base + t - b.cu_seqlens[s];
  }
  rope_cos_sin(cos, sin, pos, T, m.inv_freq());
  embedding_forward(x, b.tokens.data(), T, w.tok_embd);

  const AttnDims dims = AttnDims::causal(c.n_head, c.n_kv_head, c.hd);
  std::vector<AttnSeq> seqs;
  for (int l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = w.layers[l];
    // attention block
    rmsnorm_forward(xn, nullptr, x, L.attn_norm.f32(), T, C, c.rms_eps);
    matmul_forward(q, xn, L.wq, L.bq.empty() ? nullptr : L.bq.f32(), T);
    matmul_forward(k, xn, L.wk, L.bk.empty() ? nullptr : L.bk.f32(), T);
    matmul_forward(v, xn, L.wv, L.bv.empty() ? nullptr : L.bv.f32(), T);
    rope_forward(q, cos, sin, T, c.n_head, c.hd, c.rot_dim(), c.rope_interleaved);
    rope_forward(k, cos, sin, T, c.n_kv_head, c.hd, c.rot_dim(), c.rope_interleaved);
    if (cache) {
      seqs.clear();
      for (int s = 0; s < n_seq; ++s) {
        const int slot = b.slots[s], t0 = b.cu_seqlens[s], n = b.cu_seqlens[s + 1] - t0;
        const int len = cache->length(slot);
        cache->store(l, slot, len, k + static_cast<int64_t>(t0) * kvd, v + static_cast<int64_t>(t0) * kvd, n);
        // Attention reads the cache (max_ctx, n_kv_head, hd) in its dtype, these rows included.
        seqs.push_back({q + static_cast<int64_t>(t0) * qd, cache->k(l, slot), cache->v(l, slot),
                        att + static_cast<int64_t>(t0) * qd, nullptr, n, len + n, qd, kvd, 0,
                        cache->dtype()});
      }
      attention_seqs_forward(seqs, dims);
    } else {
      attention_forward(att, nullptr, q, k, v, b.cu_seqlens.data(), n_seq, dims);
    }
    matmul_forward(xn, att, L.wo, nullptr, T);
    add_inplace(x, xn, static_cast<int64_t>(T) * C);
    // MLP block, in token chunks
    rmsnorm_forward(xn, nullptr, x, L.ffn_norm.f32(), T, C, c.rms_eps);
    for (int t0 = 0; t0 < T; t0 += chunk) {
      const int n = std::min(chunk, T - t0);
      matmul_forward(gate, xn + static_cast<int64_t>(t0) * C, L.w_gate, nullptr, n);
      matmul_forward(up, xn + static_cast<int64_t>(t0) * C, L.w_up, nullptr, n);
      swiglu_forward(gate, gate, up, n, c.ffn);
      matmul_forward(att + static_cast<int64_t>(t0) * C, gate, L.w_down, nullptr, n);  // att reused as (T, C)
    }
    add_inplace(x, att, static_cast<int64_t>(T) * C);
  }
  if (cache)
    for (int s = 0; s < n_seq; ++s)
      cache->set_length(b.slots[s], cache->length(b.slots[s]) + b.cu_seqlens[s + 1] - b.cu_seqlens[s]);

  // Final norm and lm_head on the rows that need logits.
  int rows = b.all_logits ? T : 0;
  if (!b.all_logits) {
    for (int s = 0; s < n_seq; ++s) {  // the last n rows of each sequence, packed
      const int n = b.logit_rows.empty() ? 1 : b.logit_rows[static_cast<size_t>(s)];
      std::memcpy(xn + static_cast<int64_t>(rows) * C, x + static_cast<int64_t>(b.cu_seqlens[s + 1] - n) * C,
                  sizeof(float) * static_cast<size_t>(n) * C);
      rows += n;
    }
  } else {
    std::memcpy(xn, x, sizeof(float) * static_cast<size_t>(T) * C);
  }
  rmsnorm_forward(xn, nullptr, xn, w.final_norm.f32(), rows, C, c.rms_eps);
  logits.resize(static_cast<size_t>(rows) * c.V);
  for (int r0 = 0; r0 < rows; r0 += kChunk) {
    const int n = std::min(kChunk, rows - r0);
    matmul_forward(logits.data() + static_cast<int64_t>(r0) * c.V, xn + static_cast<int64_t>(r0) * C,
                   w.lm_head, nullptr, n);
  }
}

}  // namespace lw::engine
