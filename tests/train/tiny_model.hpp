#pragma once
// Tiny model configurations and synthetic rows shared by the train tests.
#include <vector>

#include "engine/config.hpp"
#include "train/batch.hpp"
#include "train/rng.hpp"

namespace lw::train::testing {

inline engine::ModelConfig tiny_llama(int V = 23, int C = 16, int n_layer = 2) {
  engine::ModelConfig c;
  c.arch = engine::Arch::llama;
  c.V = V; c.C = C; c.n_layer = n_layer; c.n_head = 4; c.n_kv_head = 2; c.hd = 4; c.ffn = 24;
  c.rms_eps = 1e-5f;
  c.rope_theta = 10000.0f;
  c.max_context = 512;
  return c;
}

inline engine::ModelConfig tiny_glm4() {
  engine::ModelConfig c = tiny_llama();
  c.arch = engine::Arch::glm4;
  c.qkv_bias = true;
  c.partial_rotary_factor = 0.5f;
  c.rope_interleaved = true;
  return c;
}

// A sequence of length len: the first `prompt` tokens unlabelled, the rest labelled; pack weights
// 1/(labelled count) as the packer writes them.
inline Row random_sequence(int len, int prompt, int V, uint64_t seed) {
  Rng r(seed);
  std::vector<int32_t> tok(len), lab(len);
  std::vector<float> w(len, 0.0f);
  int n_lab = len - prompt;
  for (int t = 0; t < len; t++) {
    tok[t] = (int32_t)r.below(V);
    lab[t] = t >= prompt ? tok[t] : -100;
    if (t >= prompt) w[t] = 1.0f / (float)n_lab;
  }
  return row_from_labels(tok, {0, len}, lab, w);
}

}  // namespace lw::train::testing
