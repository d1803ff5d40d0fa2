#pragma once
// A float64 reference forward of the engine's model family, written as plainly as possible: every
// weight decoded to f32 by its reference decoder, then all arithmetic in double, one token at a
// time, full causal attention. An oracle for the engine's kernels (quantized files, CPU levels,
// GLM-4 layouts); nothing in src/ uses it.
#include <cmath>
#include <vector>

#include "engine/model.hpp"
#include "quant/dtype.hpp"

namespace lw::testing {

// Decoded weights of one tensor, row-major, as double.
inline std::vector<double> decode(const engine::Tensor& t) {
  std::vector<float> f(static_cast<size_t>(t.numel()));
  quant::traits(t.dtype).to_f32_ref(t.data, f.data(), t.numel());
  return std::vector<double>(f.begin(), f.end());
}

// logits (T, V) for one sequence starting at position 0.
inline std::vector<double> ref_logits(const engine::Model& m, const std::vector<int32_t>& ids) {
  const engine::ModelConfig& c = m.config();
  const auto& W = m.weights();
  const int T = static_cast<int>(ids.size()), C = c.C, hd = c.hd, H = c.n_head, KV = c.n_kv_head;
  const int rot = c.rot_dim(), group = H / KV;
  auto matvec = [](const std::vector<double>& w, const std::vector<double>& x, int out, int in) {
    std::vector<double> y(out, 0.0);
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i) y[o] += w[static_cast<size_t>(o) * in + i] * x[i];
    return y;
  };
  auto rmsnorm = [&](const std::vector<double>& x, const engine::Tensor& w) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double r = 1.0 / std::sqrt(ss / x.size() + c.rms_eps);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * r * w.f32()[i];
    return y;
  };
  const auto inv = engine::rope_inv_freq(c);
  auto rope = [&](std::vector<double>& v, int heads, int pos) {
    for (int h = 0; h < heads; ++h) {
      double* x = v.data() + static_cast<size_t>(h) * hd;
      for (int i = 0; i < rot / 2; ++i) {
        const double a = static_cast<double>(static_cast<float>(pos) * inv[i]);
        const int i0 = c.rope_interleaved ? 2 * i : i, i1 = c.rope_interleaved ? 2 * i + 1 : i + rot / 2;
        const double p = x[i0], q = x[i1];
        x[i0] = p * std::cos(a) - q * std::sin(a);
        x[i1] = q * std::cos(a) + p * std::sin(a);
      }
    }
  };
  const auto emb = decode(W.tok_embd), head = decode(W.lm_head);
  std::vector<std::vector<double>> x(T, std::vector<double>(C));
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < C; ++i) x[t][i] = emb[static_cast<size_t>(ids[t]) * C + i];
  for (const auto& L : W.layers) {
    const auto wq = decode(L.wq), wk = decode(L.wk), wv = decode(L.wv), wo = decode(L.wo);
    const auto wg = decode(L.w_gate), wu = decode(L.w_up), wd = decode(L.w_down);
    std::vector<std::vector<double>> q(T), k(T), v(T);
    for (int t = 0; t < T; ++t) {
      const auto n = rmsnorm(x[t], L.attn_norm);
      q[t] = matvec(wq, n, H * hd, C);
      k[t] = matvec(wk, n, KV * hd, C);
      v[t] = matvec(wv, n, KV * hd, C);
      if (!L.bq.empty())
        for (int i = 0; i < H * hd; ++i) q[t][i] += L.bq.f32()[i];
      if (!L.bk.empty())
        for (int i = 0; i < KV * hd; ++i) k[t][i] += L.bk.f32()[i], v[t][i] += L.bv.f32()[i];
      rope(q[t], H, t);
      rope(k[t], KV, t);
    }
    for (int t = 0; t < T; ++t) {
      std::vector<double> att(static_cast<size_t>(H) * hd, 0.0);
      for (int h = 0; h < H; ++h) {
        const int g = h / group;
        std::vector<double> s(t + 1);
        double mx = -1e300;
        for (int u = 0; u <= t; ++u) {
          double d = 0;
          for (int i = 0; i < hd; ++i) d += q[t][h * hd + i] * k[u][g * hd + i];
          s[u] = d / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, s[u]);
        }
        double sum = 0;
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (int u = 0; u <= t; ++u)
          for (int i = 0; i < hd; ++i) att[h * hd + i] += s[u] / sum * v[u][g * hd + i];
      }
      const auto o = matvec(wo, att, C, H * hd);
      for (int i = 0; i < C; ++i) x[t][i] += o[i];
      const auto n2 = rmsnorm(x[t], L.ffn_norm);
      auto gt = matvec(wg, n2, c.ffn, C);
      const auto up = matvec(wu, n2, c.ffn, C);
      for (int i = 0; i < c.ffn; ++i) gt[i] = gt[i] / (1.0 + std::exp(-gt[i])) * up[i];
      const auto d = matvec(wd, gt, C, c.ffn);
      for (int i = 0; i < C; ++i) x[t][i] += d[i];
    }
  }
  std::vector<double> logits(static_cast<size_t>(T) * c.V);
  for (int t = 0; t < T; ++t) {
    const auto n = rmsnorm(x[t], W.final_norm);
    const auto l = matvec(head, n, c.V, C);
    std::copy(l.begin(), l.end(), logits.begin() + static_cast<size_t>(t) * c.V);
  }
  return logits;
}

}  // namespace lw::testing
