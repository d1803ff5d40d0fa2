#pragma once
// The trainable model: f32 (or f64, for gradient checks) master weights laid out in one flat
// buffer in engine::param_specs order, a gradient buffer of the same layout, and a forward pass
// that saves what the backward needs (llm.c style). With `recompute` only each layer's input is
// kept and the layer's activations are recomputed during the backward (activation checkpointing).
// The forward's layer kernels are the engine's (engine/ops.hpp); only attention (which saves the
// log-sum-exp) and the fused lm_head + cross-entropy are the trainer's own.
//
// Use: forward(row) -> head(targets, weights, grad) -> backward(). head() may be called more than
// once (DPO computes log-probabilities first, then the weighted gradient).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/config.hpp"
#include "engine/params.hpp"
#include "train/attention.hpp"
#include "train/batch.hpp"
#include "train/ops.hpp"

namespace lw::train {

// Pointers to one layer's tensors inside a flat buffer (parameters or gradients).
template <typename F>
struct LayerPtrs {
  F* attn_norm;  // (C)
  F* wq;
  F* wk;
  F* wv;  // (q_dim, C) (kv_dim, C) (kv_dim, C)
  F* bq;
  F* bk;
  F* bv;        // (q_dim) (kv_dim) (kv_dim) or null
  F* wo;        // (C, q_dim)
  F* ffn_norm;  // (C)
  F* w_gate;
  F* w_up;    // (ffn, C)
  F* w_down;  // (C, ffn)
};

template <typename F>
struct LayerActs {
  F* x;      // (T, C) layer input (residual stream)
  F* ln1;    // (T, C)
  F* rstd1;  // (T)
  F* q;      // (T, n_head, hd) after RoPE
  F* k;      // (T, n_kv_head, hd) after RoPE
  F* v;      // (T, n_kv_head, hd)
  F* att;    // (T, n_head, hd)
  F* lse;    // (T, n_head)
  F* x2;     // (T, C) residual after attention
  F* ln2;    // (T, C)
  F* rstd2;  // (T)
  F* gate;   // (T, ffn)
  F* up;     // (T, ffn)
  F* hact;   // (T, ffn) silu(gate) * up
};

template <typename F>
class TrainModel {
 public:
  explicit TrainModel(const engine::ModelConfig& cfg);

  const engine::ModelConfig& config() const { return cfg_; }
  const std::vector<engine::ParamSpec>& specs() const { return specs_; }
  const std::vector<int64_t>& offsets() const { return offsets_; }  // element offset per spec
  int64_t n_params() const { return (int64_t)params.size(); }

  std::vector<F> params;  // flat, param_specs order
  std::vector<F> grads;   // same layout

  // N(0, 0.02) for matrices, 1 for norms, 0 for biases; deterministic in seed.
  void init_random(uint64_t seed);
  void zero_grad();
  F* param(const std::string& name);
  F* grad(const std::string& name);

  // Runs the decoder on row (tokens + cu_seqlens) up to the final RMSNorm; saves activations.
  void forward(const Row& row, bool recompute = false);
  // Fused lm_head + weighted cross-entropy on the saved final hidden states. weights (T) per
  // position; token_nll (T) optional. With grad, accumulates into lm_head's gradient and stores
  // the hidden-state gradient for backward(). Returns sum_t w[t] * nll[t].
  double head(const int32_t* targets, const F* weights, F* token_nll, bool grad,
              bool nll_for_all_targets = false);
  // Back-propagates the stored hidden-state gradient through the decoder (accumulates grads).
  void backward();

  // forward + head(grad) + backward.
  double forward_backward(const Row& row, const F* weights, bool recompute = false);

  // (T, C) the final normed hidden states of the last forward (logits = these · lm_head^T).
  const F* final_hidden() const { return hf_.data(); }

  // Bytes of activations held for the last forward (for reports).
  int64_t activation_bytes() const;

 private:
  LayerPtrs<F> layer_ptrs(std::vector<F>& buf, int l);
  void layer_forward(const LayerPtrs<F>& w, LayerActs<F>& a, F* x_out);
  void layer_backward(const LayerPtrs<F>& w, const LayerPtrs<F>& g, const LayerActs<F>& a, F* dres);
  // q/k/v projections (forward) and their backward into d_ln_ and the weight gradients: one GEMM
  // over the stacked (q_dim + 2 kv_dim, C) weight when wq, wk, wv are adjacent without biases
  // (Llama layout), three otherwise.
  void qkv_forward(const LayerPtrs<F>& w, LayerActs<F>& a);
  void qkv_backward(const LayerPtrs<F>& w, const LayerPtrs<F>& g, const LayerActs<F>& a);
  LayerActs<F> acts_for(int l);
  void ensure_buffers(int T);

  engine::ModelConfig cfg_;
  std::vector<engine::ParamSpec> specs_;
  std::vector<int64_t> offsets_;
  std::vector<size_t> layer_first_spec_;  // (n_layer) index of each layer's first spec
  int64_t off_embed_ = -1, off_final_norm_ = -1, off_lm_head_ = -1;
  std::vector<float> inv_freq_;  // (rot/2) engine::rope_inv_freq

  // Per-forward state.
  const Row* row_ = nullptr;
  int T_ = 0, cap_T_ = 0;
  bool recompute_ = false;
  std::vector<int32_t> pos_;  // (T) position of each token in its sequence
  std::vector<F> cos_, sin_;  // (T, rot/2) rotary tables of pos_
  std::vector<F> acts_;       // all layers' saved activations (or only inputs with recompute)
  std::vector<F> scratch_;    // one layer's activations for recompute
  std::vector<F> x_final_;    // (T, C) last residual
  std::vector<F> rstd_f_;     // (T)
  std::vector<F> hf_;         // (T, C) final normed hidden
  std::vector<F> dhf_;        // (T, C)
  // Backward scratch.
  std::vector<F> d_res_, d_ln_, d_att_, d_q_, d_k_, d_v_, d_gate_, d_up_, d_hact_;
  std::vector<F> qkv_;  // (T, q_dim + 2 kv_dim) fused q/k/v projection output or gradient
  bool have_dhf_ = false;
};

}  // namespace lw::train
