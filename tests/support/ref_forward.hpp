#pragma once
// A float64 reference forward of the engine's model family, written as plainly as possible: every
// weight decoded to f32 by its reference decoder, then all arithmetic in double, one token at a
// time, full causal attention. An oracle for the engine's kernels (quantized files, CPU levels,
// GLM-4 layouts); nothing in src/ uses it.
#include <cmath>
#include <vector>

#include "engine/model.hpp"
#include "quant/dtype.hpp"
#include "quant/repack.hpp"

namespace lw::testing {

// Decoded weights of one tensor, row-major, as double.
inline std::vector<double> decode(const engine::Tensor& t) {
  std::vector<float> f(static_cast<size_t>(t.numel()));
  if (quant::is_x16(t.dtype)) {  // repacked at load: the base rows back first
    std::vector<char> rows(t.nbytes());
    quant::unrepack_x16(t.dtype, t.data, rows.data(), t.rows(), t.cols());
    quant::traits(quant::x16_base(t.dtype)).to_f32_ref(rows.data(), f.data(), t.numel());
    return std::vector<double>(f.begin(), f.end());
  }
  quant::traits(t.dtype).to_f32_ref(t.data, f.data(), t.numel());
  return std::vector<double>(f.begin(), f.end());
}

// One sequence run token by token, keeping every layer's keys and values (the reference's "cache"):
// feed(id) returns the logits (V) after that token.
class RefRunner {
 public:
  explicit RefRunner(const engine::Model& m) : m_(m), c_(m.config()), inv_(engine::rope_inv_freq(c_)) {
    const auto& W = m.weights();
    emb_ = decode(W.tok_embd);
    head_ = decode(W.lm_head);
    for (const auto& L : W.layers)
      layers_.push_back({decode(L.wq), decode(L.wk), decode(L.wv), decode(L.wo), decode(L.w_gate), decode(L.w_up),
                         decode(L.w_down), {}, {}});
  }

  std::vector<double> feed(int32_t id) {
    const int C = c_.C, hd = c_.hd, H = c_.n_head, KV = c_.n_kv_head, group = H / KV;
    const auto& W = m_.weights();
    const int pos = pos_++;
    std::vector<double> x(emb_.begin() + static_cast<size_t>(id) * C, emb_.begin() + static_cast<size_t>(id + 1) * C);
    for (size_t l = 0; l < layers_.size(); ++l) {
      Layer& L = layers_[l];
      const auto& LW = W.layers[l];
      const auto n = rmsnorm(x, LW.attn_norm);
      auto q = matvec(L.wq, n, H * hd, C), k = matvec(L.wk, n, KV * hd, C), v = matvec(L.wv, n, KV * hd, C);
      if (!LW.bq.empty()) {
        for (int i = 0; i < H * hd; ++i) q[i] += LW.bq.f32()[i];
        for (int i = 0; i < KV * hd; ++i) k[i] += LW.bk.f32()[i], v[i] += LW.bv.f32()[i];
      }
      rope(q, H, pos);
      rope(k, KV, pos);
      L.k.push_back(k);
      L.v.push_back(v);
      std::vector<double> att(static_cast<size_t>(H) * hd, 0.0);
      for (int h = 0; h < H; ++h) {
        const int g = h / group;
        std::vector<double> sc(L.k.size());
        double mx = -1e300;
        for (size_t u = 0; u < L.k.size(); ++u) {
          double d = 0;
          for (int i = 0; i < hd; ++i) d += q[h * hd + i] * L.k[u][g * hd + i];
          sc[u] = d / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, sc[u]);
        }
        double sum = 0;
        for (double& e : sc) sum += (e = std::exp(e - mx));
        for (size_t u = 0; u < L.k.size(); ++u)
          for (int i = 0; i < hd; ++i) att[h * hd + i] += sc[u] / sum * L.v[u][g * hd + i];
      }
      const auto o = matvec(L.wo, att, C, H * hd);
      for (int i = 0; i < C; ++i) x[i] += o[i];
      const auto n2 = rmsnorm(x, LW.ffn_norm);
      auto gt = matvec(L.wg, n2, c_.ffn, C);
      const auto up = matvec(L.wu, n2, c_.ffn, C);
      for (int i = 0; i < c_.ffn; ++i) gt[i] = gt[i] / (1.0 + std::exp(-gt[i])) * up[i];
      const auto d = matvec(L.wd, gt, C, c_.ffn);
      for (int i = 0; i < C; ++i) x[i] += d[i];
    }
    return matvec(head_, rmsnorm(x, W.final_norm), c_.V, C);
  }

 private:
  struct Layer {
    std::vector<double> wq, wk, wv, wo, wg, wu, wd;
    std::vector<std::vector<double>> k, v;
  };
  static std::vector<double> matvec(const std::vector<double>& w, const std::vector<double>& x, int out, int in) {
    std::vector<double> y(out, 0.0);
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i) y[o] += w[static_cast<size_t>(o) * in + i] * x[i];
    return y;
  }
  std::vector<double> rmsnorm(const std::vector<double>& x, const engine::Tensor& w) const {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double r = 1.0 / std::sqrt(ss / x.size() + c_.rms_eps);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * r * w.f32()[i];
    return y;
  }
  void rope(std::vector<double>& v, int heads, int pos) const {
    const int hd = c_.hd, rot = c_.rot_dim();
    for (int h = 0; h < heads; ++h) {
      double* x = v.data() + static_cast<size_t>(h) * hd;
      for (int i = 0; i < rot / 2; ++i) {
        const double a = static_cast<double>(static_cast<float>(pos) * inv_[i]);
        const int i0 = c_.rope_interleaved ? 2 * i : i, i1 = c_.rope_interleaved ? 2 * i + 1 : i + rot / 2;
        const double p = x[i0], q = x[i1];
        x[i0] = p * std::cos(a) - q * std::sin(a);
        x[i1] = q * std::cos(a) + p * std::sin(a);
      }
    }
  }

  const engine::Model& m_;
  engine::ModelConfig c_;
  std::vector<float> inv_;
  std::vector<double> emb_, head_;
  std::vector<Layer> layers_;
  int pos_ = 0;
};

// logits (T, V) for one sequence starting at position 0.
inline std::vector<double> ref_logits(const engine::Model& m, const std::vector<int32_t>& ids) {
  RefRunner r(m);
  std::vector<double> out;
  for (int32_t id : ids) {
    const auto l = r.feed(id);
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

}  // namespace lw::testing
