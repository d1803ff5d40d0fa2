// The trainable decoder: forward with saved activations, backward, optional recompute.
#include "train/model.hpp"

#include <cmath>
#include <cstring>

#include "engine/ops.hpp"
#include "train/cross_entropy.hpp"
#include "train/rng.hpp"
#include "util/error.hpp"

namespace lw::train {

using engine::ParamRole;
namespace ops = engine;  // the layer kernels shared with the engine

template <typename F>
TrainModel<F>::TrainModel(const engine::ModelConfig& cfg) : cfg_(cfg) {
  cfg_.validate("model config");
  specs_ = engine::param_specs(cfg_);
  layer_first_spec_.assign(cfg_.n_layer, specs_.size());
  for (size_t i = specs_.size(); i-- > 0;)  // param_specs lists each layer's tensors together
    if (specs_[i].layer >= 0) layer_first_spec_[specs_[i].layer] = i;
  int64_t off = 0;
  for (const auto& s : specs_) {
    offsets_.push_back(off);
    if (s.role == ParamRole::embedding) off_embed_ = off;
    if (s.role == ParamRole::lm_head) off_lm_head_ = off;
    if (s.role == ParamRole::norm && s.layer < 0) off_final_norm_ = off;
    off += s.numel();
  }
  LW_CHECK(off_embed_ >= 0 && off_final_norm_ >= 0, "parameter list lacks embedding or final norm");
  if (off_lm_head_ < 0) off_lm_head_ = off_embed_;  // tied
  params.assign(off, F(0));
  grads.assign(off, F(0));
  inv_freq_ = engine::rope_inv_freq(cfg_);
}

template <typename F>
void TrainModel<F>::init_random(uint64_t seed) {
  Rng rng(seed);
  for (size_t i = 0; i < specs_.size(); i++) {
    F* p = params.data() + offsets_[i];
    int64_t n = specs_[i].numel();
    switch (specs_[i].role) {
      case ParamRole::norm:
        for (int64_t j = 0; j < n; j++) p[j] = F(1);
        break;
      case ParamRole::bias:
        for (int64_t j = 0; j < n; j++) p[j] = F(0);
        break;
      default:
        for (int64_t j = 0; j < n; j++) p[j] = (F)(0.02 * rng.normal());
    }
  }
}

template <typename F>
void TrainModel<F>::zero_grad() {
  std::memset(grads.data(), 0, sizeof(F) * grads.size());
}

template <typename F>
F* TrainModel<F>::param(const std::string& name) {
  for (size_t i = 0; i < specs_.size(); i++)
    if (specs_[i].name == name) return params.data() + offsets_[i];
  fail("model has no parameter '{}'", name);
}

template <typename F>
F* TrainModel<F>::grad(const std::string& name) {
  return grads.data() + (param(name) - params.data());
}

template <typename F>
LayerPtrs<F> TrainModel<F>::layer_ptrs(std::vector<F>& buf, int l) {
  LayerPtrs<F> p{};
  for (size_t i = layer_first_spec_[l]; i < specs_.size() && specs_[i].layer == l; i++) {
    F* ptr = buf.data() + offsets_[i];
    engine::visit_layer_slot(p, specs_[i].slot,
                             [&](F*& field, int part) { field = ptr + part * (int64_t)cfg_.ffn * cfg_.C; });
  }
  LW_CHECK(p.attn_norm && p.ffn_norm && p.wq && p.wk && p.wv && p.wo && p.w_gate && p.w_up && p.w_down,
           "layer {} is missing tensors", l);
  return p;
}

namespace {
// Floats per token of one layer's full activations.
int64_t layer_floats_per_token(const engine::ModelConfig& c) {
  return 4LL * c.C + 2 + 2LL * c.q_dim() + 2LL * c.kv_dim() + c.n_head + 3LL * c.ffn;
}
}  // namespace

template <typename F>
void TrainModel<F>::ensure_buffers(int T) {
  const auto& c = cfg_;
  T_ = T;
  int64_t per = layer_floats_per_token(c) * T;
  if (recompute_) {
    acts_.resize((size_t)c.n_layer * T * c.C);
    scratch_.resize(per);
  } else {
    acts_.resize((size_t)c.n_layer * per);
    scratch_.clear();
    scratch_.shrink_to_fit();
  }
  x_final_.resize((size_t)T * c.C);
  rstd_f_.resize(T);
  hf_.resize((size_t)T * c.C);
  dhf_.resize((size_t)T * c.C);
}

template <typename F>
LayerActs<F> TrainModel<F>::acts_for(int l) {
  const auto& c = cfg_;
  const int64_t T = T_;
  LayerActs<F> a{};
  F* p = recompute_ ? scratch_.data() : acts_.data() + (size_t)l * layer_floats_per_token(c) * T;
  auto take = [&](int64_t n) {
    F* r = p;
    p += n;
    return r;
  };
  a.x = take(T * c.C);
  if (recompute_) a.x = acts_.data() + (size_t)l * T * c.C;
  a.ln1 = take(T * c.C);
  a.rstd1 = take(T);
  a.q = take(T * c.q_dim());
  a.k = take(T * c.kv_dim());
  a.v = take(T * c.kv_dim());
  a.att = take(T * c.q_dim());
  a.lse = take(T * c.n_head);
  a.x2 = take(T * c.C);
  a.ln2 = take(T * c.C);
  a.rstd2 = take(T);
  a.gate = take(T * c.ffn);
  a.up = take(T * c.ffn);
  a.hact = take(T * c.ffn);
  return a;
}

namespace {
template <typename F>
bool qkv_adjacent(const LayerPtrs<F>& w, int C, int qd, int kvd) {
  return !w.bq && !w.bk && !w.bv && w.wk == w.wq + (int64_t)qd * C && w.wv == w.wk + (int64_t)kvd * C;
}
}  // namespace

template <typename F>
void TrainModel<F>::qkv_forward(const LayerPtrs<F>& w, LayerActs<F>& a) {
  const auto& c = cfg_;
  const int T = T_, C = c.C, qd = c.q_dim(), kvd = c.kv_dim(), N = qd + 2 * kvd;
  if (!qkv_adjacent(w, C, qd, kvd)) {
    ops::matmul_forward(a.q, a.ln1, w.wq, w.bq, T, C, qd);   // (T, n_head, hd)
    ops::matmul_forward(a.k, a.ln1, w.wk, w.bk, T, C, kvd);  // (T, n_kv_head, hd)
    ops::matmul_forward(a.v, a.ln1, w.wv, w.bv, T, C, kvd);  // (T, n_kv_head, hd)
    return;
  }
  qkv_.resize((size_t)T * N);
  // (T, N) = ln1 (T, C) @ [Wq; Wk; Wv]^T, then split into q (T, qd), k, v (T, kvd).
  ops::matmul_forward(qkv_.data(), a.ln1, w.wq, static_cast<const F*>(nullptr), T, C, N);
#pragma omp parallel for if (T > 256)
  for (int t = 0; t < T; t++) {
    const F* r = qkv_.data() + (size_t)t * N;  // (N)
    std::memcpy(a.q + (int64_t)t * qd, r, sizeof(F) * qd);
    std::memcpy(a.k + (int64_t)t * kvd, r + qd, sizeof(F) * kvd);
    std::memcpy(a.v + (int64_t)t * kvd, r + qd + kvd, sizeof(F) * kvd);
  }
}

template <typename F>
void TrainModel<F>::qkv_backward(const LayerPtrs<F>& w, const LayerPtrs<F>& g, const LayerActs<F>& a) {
  const auto& c = cfg_;
  const int T = T_, C = c.C, qd = c.q_dim(), kvd = c.kv_dim(), N = qd + 2 * kvd;
  if (!qkv_adjacent(w, C, qd, kvd)) {
    linear_backward(d_ln_.data(), g.wq, g.bq, d_q_.data(), a.ln1, w.wq, T, C, qd, false);
    linear_backward(d_ln_.data(), g.wk, g.bk, d_k_.data(), a.ln1, w.wk, T, C, kvd, true);
    linear_backward(d_ln_.data(), g.wv, g.bv, d_v_.data(), a.ln1, w.wv, T, C, kvd, true);
    return;
  }
  qkv_.resize((size_t)T * N);
#pragma omp parallel for if (T > 256)
  for (int t = 0; t < T; t++) {
    F* r = qkv_.data() + (size_t)t * N;  // (N)
    std::memcpy(r, d_q_.data() + (int64_t)t * qd, sizeof(F) * qd);
    std::memcpy(r + qd, d_k_.data() + (int64_t)t * kvd, sizeof(F) * kvd);
    std::memcpy(r + qd + kvd, d_v_.data() + (int64_t)t * kvd, sizeof(F) * kvd);
  }
  // d_ln (T, C) = dqkv (T, N) @ Wqkv (N, C); dWqkv (N, C) += dqkv^T @ ln1 (gradients share the layout).
  linear_backward(d_ln_.data(), g.wq, static_cast<F*>(nullptr), qkv_.data(), a.ln1, w.wq, T, C, N, false);
}

template <typename F>
void TrainModel<F>::layer_forward(const LayerPtrs<F>& w, LayerActs<F>& a, F* x_out) {
  const auto& c = cfg_;
  const int T = T_, C = c.C, rot = c.rot_dim();
  const int64_t TC = (int64_t)T * C;
  const F* no_bias = nullptr;
  ops::rmsnorm_forward(a.ln1, a.rstd1, a.x, w.attn_norm, T, C, c.rms_eps);  // (T, C), (T)
  qkv_forward(w, a);
  ops::rope_forward(a.q, cos_.data(), sin_.data(), T, c.n_head, c.hd, rot, c.rope_interleaved);
  ops::rope_forward(a.k, cos_.data(), sin_.data(), T, c.n_kv_head, c.hd, rot, c.rope_interleaved);
  const AttnDims d = AttnDims::causal(c.n_head, c.n_kv_head, c.hd);
  attention_forward(a.att, a.lse, a.q, a.k, a.v, row_->cu_seqlens, d);  // (T, n_head, hd), (T, n_head)
  ops::matmul_forward(a.x2, a.att, w.wo, no_bias, T, c.q_dim(), C);     // (T, C)
  ops::add_inplace(a.x2, a.x, TC);
  ops::rmsnorm_forward(a.ln2, a.rstd2, a.x2, w.ffn_norm, T, C, c.rms_eps);  // (T, C), (T)
  ops::matmul_forward(a.gate, a.ln2, w.w_gate, no_bias, T, C, c.ffn);       // (T, ffn)
  ops::matmul_forward(a.up, a.ln2, w.w_up, no_bias, T, C, c.ffn);           // (T, ffn)
  ops::swiglu_forward(a.hact, a.gate, a.up, T, c.ffn);                      // (T, ffn)
  ops::matmul_forward(x_out, a.hact, w.w_down, no_bias, T, c.ffn, C);       // (T, C)
  ops::add_inplace(x_out, a.x2, TC);
}

template <typename F>
void TrainModel<F>::forward(const Row& row, bool recompute) {
  const auto& c = cfg_;
  const int T = row.T();
  check_cu_seqlens(row.cu_seqlens, T, "forward");
  for (int t = 0; t < T; t++)
    if (row.tokens[t] < 0 || row.tokens[t] >= c.V)
      fail_input("token id {} at position {} outside the vocabulary (size {})", row.tokens[t], t, c.V);
  row_ = &row;
  recompute_ = recompute;
  have_dhf_ = false;
  pos_ = positions_from_cu(row.cu_seqlens);
  cos_.resize((size_t)T * (c.rot_dim() / 2));
  sin_.resize((size_t)T * (c.rot_dim() / 2));
  ops::rope_cos_sin(cos_.data(), sin_.data(), pos_.data(), T, inv_freq_);
  ensure_buffers(T);
  ops::embedding_forward(acts_for(0).x, row.tokens.data(), T, params.data() + off_embed_, (int64_t)c.V,
                         (int64_t)c.C);  // (T, C)
  for (int l = 0; l < c.n_layer; l++) {
    LayerActs<F> a = acts_for(l);
    F* x_out = l + 1 < c.n_layer ? acts_for(l + 1).x : x_final_.data();
    layer_forward(layer_ptrs(params, l), a, x_out);
  }
  ops::rmsnorm_forward(hf_.data(), rstd_f_.data(), x_final_.data(), params.data() + off_final_norm_, T, c.C,
                       c.rms_eps);  // (T, C), (T)
}

template <typename F>
double TrainModel<F>::head(const int32_t* targets, const F* weights, F* token_nll, bool grad,
                           bool nll_for_all_targets) {
  LW_CHECK(row_ != nullptr, "head() before forward()");
  CrossEntropyArgs<F> a;
  a.h = hf_.data();
  a.W = params.data() + off_lm_head_;
  a.targets = targets;
  a.weights = weights;
  a.T = T_;
  a.C = cfg_.C;
  a.V = cfg_.V;
  a.token_nll = token_nll;
  a.nll_for_all_targets = nll_for_all_targets;
  if (grad) {
    a.dh = dhf_.data();
    a.dW = grads.data() + off_lm_head_;
    have_dhf_ = true;
  }
  return cross_entropy_fused(a);
}

template <typename F>
void TrainModel<F>::layer_backward(const LayerPtrs<F>& w, const LayerPtrs<F>& g, const LayerActs<F>& a,
                                   F* dres) {
  const auto& c = cfg_;
  const int T = T_, C = c.C, Fd = c.ffn, qd = c.q_dim();
  // FFN: x_out = x2 + hact @ Wd^T, hact = silu(gate) * up, gate/up = ln2 @ W^T.
  linear_backward(d_hact_.data(), g.w_down, static_cast<F*>(nullptr), dres, a.hact, w.w_down, T, Fd, C,
                  false);
  swiglu_backward(d_gate_.data(), d_up_.data(), d_hact_.data(), a.gate, a.up, (int64_t)T * Fd);
  linear_backward(d_ln_.data(), g.w_gate, static_cast<F*>(nullptr), d_gate_.data(), a.ln2, w.w_gate, T, C, Fd,
                  false);
  linear_backward(d_ln_.data(), g.w_up, static_cast<F*>(nullptr), d_up_.data(), a.ln2, w.w_up, T, C, Fd,
                  true);
  rmsnorm_backward(dres, g.ffn_norm, d_ln_.data(), a.x2, w.ffn_norm, a.rstd2, T, C);
  // Attention: x2 = x + att @ Wo^T.
  linear_backward(d_att_.data(), g.wo, static_cast<F*>(nullptr), dres, a.att, w.wo, T, qd, C, false);
  const AttnDims d = AttnDims::causal(c.n_head, c.n_kv_head, c.hd);
  attention_backward(d_q_.data(), d_k_.data(), d_v_.data(), d_att_.data(), a.q, a.k, a.v, a.att, a.lse,
                     row_->cu_seqlens, d);
  // RoPE's backward: the inverse rotation of the gradients.
  ops::rope_forward(d_q_.data(), cos_.data(), sin_.data(), T, c.n_head, c.hd, c.rot_dim(), c.rope_interleaved,
                    /*inverse=*/true);
  ops::rope_forward(d_k_.data(), cos_.data(), sin_.data(), T, c.n_kv_head, c.hd, c.rot_dim(),
                    c.rope_interleaved,
                    /*inverse=*/true);
  qkv_backward(w, g, a);
  rmsnorm_backward(dres, g.attn_norm, d_ln_.data(), a.x, w.attn_norm, a.rstd1, T, C);
}

template <typename F>
void TrainModel<F>::backward() {
  LW_CHECK(have_dhf_, "backward() needs head(..., grad=true) after forward()");
  const auto& c = cfg_;
  const int T = T_;
  const size_t TC = (size_t)T * c.C;
  d_res_.assign(TC, F(0));
  d_ln_.resize(TC);
  d_att_.resize((size_t)T * c.q_dim());
  d_q_.resize((size_t)T * c.q_dim());
  d_k_.resize((size_t)T * c.kv_dim());
  d_v_.resize((size_t)T * c.kv_dim());
  d_gate_.resize((size_t)T * c.ffn);
  d_up_.resize((size_t)T * c.ffn);
  d_hact_.resize((size_t)T * c.ffn);
  rmsnorm_backward(d_res_.data(), grads.data() + off_final_norm_, dhf_.data(), x_final_.data(),
                   params.data() + off_final_norm_, rstd_f_.data(), T, c.C);
  std::vector<F> tmp_out(recompute_ ? TC : 0);
  for (int l = c.n_layer - 1; l >= 0; l--) {
    LayerActs<F> a = acts_for(l);
    LayerPtrs<F> w = layer_ptrs(params, l);
    if (recompute_) layer_forward(w, a, tmp_out.data());
    layer_backward(w, layer_ptrs(grads, l), a, d_res_.data());
  }
  embedding_backward(grads.data() + off_embed_, d_res_.data(), row_->tokens.data(), T, c.C);
  have_dhf_ = false;
}

template <typename F>
double TrainModel<F>::forward_backward(const Row& row, const F* weights, bool recompute) {
  forward(row, recompute);
  double loss = head(row.targets.data(), weights, nullptr, /*grad=*/true);
  backward();
  return loss;
}

template <typename F>
int64_t TrainModel<F>::activation_bytes() const {
  return (int64_t)sizeof(F) *
         (int64_t)(acts_.size() + scratch_.size() + x_final_.size() + rstd_f_.size() + hf_.size() +
                   cos_.size() + sin_.size() + dhf_.size() + d_res_.size() + d_ln_.size() + d_att_.size() +
                   d_q_.size() + d_k_.size() + d_v_.size() + d_gate_.size() + d_up_.size() + d_hact_.size());
}

template class TrainModel<float>;
template class TrainModel<double>;

}  // namespace lw::train
