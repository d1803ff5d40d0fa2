// Training throughput (forward + backward + AdamW) of the ~19M-parameter config of issue 7
// (vocab 8192, hidden 384, 8 layers, 6 heads, 2 KV heads, FFN 1024, untied) on a pack of 4096
// tokens holding 4 sequences, vs the same 4 sequences padded to the longest one (the usual
// per-sequence batch). Reports real (non-padding) tokens/s and the process's peak RSS.
//
// The BM_Op* benchmarks time the parts of one step at the same shapes (T = 4096 in 4 sequences,
// one layer for the per-layer parts; multiply those by 8 layers) to show where the time goes.
//
//   OMP_NUM_THREADS=2 ./build/bench/bench_train --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cmath>
#include <iterator>
#include <vector>

#include "engine/config.hpp"
#include "engine/ops.hpp"
#include "train/attention.hpp"
#include "train/batch.hpp"
#include "train/cross_entropy.hpp"
#include "train/model.hpp"
#include "train/ops.hpp"
#include "train/optim.hpp"
#include "train/rng.hpp"

namespace {

using namespace lw::train;
namespace ops = lw::engine;  // the forward kernels the trainer shares with the engine

lw::engine::ModelConfig bench_config() {
  lw::engine::ModelConfig c;
  c.V = 8192;
  c.C = 384;
  c.n_layer = 8;
  c.n_head = 6;
  c.n_kv_head = 2;
  c.hd = 64;
  c.ffn = 1024;
  c.max_context = 4096;
  return c;
}

// Four sequences of different lengths summing to 4096; prompts of 64 tokens unlabelled.
const std::vector<int> kLens = {1800, 1200, 700, 396};

Row make_sequence(int len, int pad_to, int V, uint64_t seed) {
  Rng r(seed);
  std::vector<int32_t> tok(pad_to), lab(pad_to, -100);
  for (int t = 0; t < pad_to; t++) {
    tok[t] = t < len ? (int32_t)r.below(V) : 0;
    if (t >= 64 && t < len) lab[t] = tok[t];
  }
  return row_from_labels(tok, {0, pad_to}, lab, {});
}

void run(benchmark::State& state, bool padded, bool recompute) {
  auto cfg = bench_config();
  TrainModel<float> m(cfg);
  m.init_random(1);
  int longest = 0;
  for (int l : kLens) longest = std::max(longest, l);
  std::vector<Row> seqs;
  for (size_t i = 0; i < kLens.size(); i++)
    seqs.push_back(make_sequence(kLens[i], padded ? longest : kLens[i], cfg.V, 100 + i));
  Row row = concat_rows(seqs);
  auto w = loss_weights({&row}, Weighting::token);
  std::vector<float> wf(w[0].begin(), w[0].end());
  AdamWState st;
  AdamWConfig oc;
  auto decay = decay_mask(m.specs());
  for (auto _ : state) {
    m.zero_grad();
    double loss = m.forward_backward(row, wf.data(), recompute);
    clip_grad_norm(m.grads.data(), (int64_t)m.grads.size(), 1.0);
    adamw_update(m.params.data(), m.grads.data(), st, decay, oc, 1e-4);
    benchmark::DoNotOptimize(loss);
  }
  int64_t real = 0;
  for (int l : kLens) real += l;
  state.counters["tokens/s"] =
      benchmark::Counter((double)real * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["rows_T"] = row.T();
  state.counters["params_M"] = (double)m.n_params() / 1e6;
  state.counters["act_MiB"] = (double)m.activation_bytes() / (1 << 20);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MiB"] = (double)ru.ru_maxrss / 1024.0;
}

std::vector<float> random_floats(size_t n, uint64_t seed, float scale) {
  Rng r(seed);
  std::vector<float> x(n);
  for (auto& v : x) v = (float)(r.normal() * scale);
  return x;
}

std::vector<int32_t> packed_cu() {
  std::vector<int32_t> cu = {0};
  for (int l : kLens) cu.push_back(cu.back() + l);
  return cu;
}

// Varlen attention forward + backward of one layer (q/k/v after RoPE).
void BM_OpAttention(benchmark::State& state) {
  auto c = bench_config();
  auto cu = packed_cu();
  const int T = cu.back();
  const AttnDims d = AttnDims::causal(c.n_head, c.n_kv_head, c.hd);
  auto q = random_floats((size_t)T * d.q_dim(), 1, 1.0f), k = random_floats((size_t)T * d.kv_dim(), 2, 1.0f),
       v = random_floats((size_t)T * d.kv_dim(), 3, 1.0f),
       dout = random_floats((size_t)T * d.q_dim(), 4, 1.0f);
  std::vector<float> out(q.size()), lse((size_t)T * c.n_head), dq(q.size()), dk(k.size()), dv(v.size());
  for (auto _ : state) {
    attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), cu, d);
    attention_backward(dq.data(), dk.data(), dv.data(), dout.data(), q.data(), k.data(), v.data(), out.data(),
                       lse.data(), cu, d);
    benchmark::DoNotOptimize(dq.data());
  }
}

// The seven projections of one layer (q, k, v, o, gate, up, down), forward + backward.
void BM_OpLinears(benchmark::State& state) {
  auto c = bench_config();
  const int T = 4096, C = c.C, qd = c.n_head * c.hd, kvd = c.n_kv_head * c.hd, Fd = c.ffn;
  struct P {
    int ic, oc;
  };
  const P ps[] = {{C, qd}, {C, kvd}, {C, kvd}, {qd, C}, {C, Fd}, {C, Fd}, {Fd, C}};
  std::vector<std::vector<float>> W, dW, x, y, dx;
  for (const auto& p : ps) {
    W.push_back(random_floats((size_t)p.oc * p.ic, 5, 0.02f));
    dW.emplace_back((size_t)p.oc * p.ic);
    x.push_back(random_floats((size_t)T * p.ic, 6, 1.0f));
    y.emplace_back((size_t)T * p.oc);
    dx.emplace_back((size_t)T * p.ic);
  }
  for (auto _ : state) {
    for (size_t i = 0; i < std::size(ps); i++)
      ops::matmul_forward(y[i].data(), x[i].data(), W[i].data(), static_cast<const float*>(nullptr), T,
                          ps[i].ic, ps[i].oc);
    for (size_t i = 0; i < std::size(ps); i++)
      linear_backward(dx[i].data(), dW[i].data(), static_cast<float*>(nullptr), y[i].data(), x[i].data(),
                      W[i].data(), T, ps[i].ic, ps[i].oc, false);
    benchmark::DoNotOptimize(dx[0].data());
  }
}

// RMSNorm x2, RoPE on q and k, SwiGLU of one layer, forward + backward.
void BM_OpElementwise(benchmark::State& state) {
  auto c = bench_config();
  const int T = 4096, C = c.C;
  auto x = random_floats((size_t)T * C, 7, 1.0f), w = random_floats(C, 8, 1.0f);
  std::vector<float> y(x.size()), dx(x.size()), dw(C), rstd(T);
  auto q = random_floats((size_t)T * c.n_head * c.hd, 9, 1.0f),
       k = random_floats((size_t)T * c.n_kv_head * c.hd, 10, 1.0f);
  auto g = random_floats((size_t)T * c.ffn, 11, 1.0f), u = random_floats((size_t)T * c.ffn, 12, 1.0f);
  std::vector<float> h(g.size()), dg(g.size()), du(g.size());
  std::vector<float> inv_freq(c.hd / 2);
  for (int i = 0; i < c.hd / 2; i++) inv_freq[i] = std::pow(10000.0f, -2.0f * i / c.hd);
  auto pos = positions_from_cu(packed_cu());
  std::vector<float> cs((size_t)T * c.hd / 2), sn(cs.size());  // (T, hd/2), once per step in the trainer
  ops::rope_cos_sin(cs.data(), sn.data(), pos.data(), T, inv_freq);
  auto rope = [&](std::vector<float>& x, int n_head, bool inverse) {
    ops::rope_forward(x.data(), cs.data(), sn.data(), T, n_head, c.hd, c.hd, false, inverse);
  };
  for (auto _ : state) {
    for (int i = 0; i < 2; i++) {
      ops::rmsnorm_forward(y.data(), rstd.data(), x.data(), w.data(), T, C, 1e-5f);
      rmsnorm_backward(dx.data(), dw.data(), y.data(), x.data(), w.data(), rstd.data(), T, C);
    }
    rope(q, c.n_head, false);
    rope(k, c.n_kv_head, false);
    rope(q, c.n_head, true);
    rope(k, c.n_kv_head, true);
    ops::swiglu_forward(h.data(), g.data(), u.data(), T, c.ffn);
    swiglu_backward(dg.data(), du.data(), h.data(), g.data(), u.data(), (int64_t)T * c.ffn);
    benchmark::DoNotOptimize(dx.data());
  }
}

// Fused lm_head + cross-entropy over the 3,840 targets of the pack, forward + backward.
void BM_OpCrossEntropy(benchmark::State& state) {
  auto c = bench_config();
  const int T = 4096;
  auto h = random_floats((size_t)T * c.C, 13, 1.0f), W = random_floats((size_t)c.V * c.C, 14, 0.02f);
  std::vector<float> dh(h.size()), dW(W.size()), wt(T, 1.0f / 3840);
  std::vector<int32_t> tg(T, -1);
  Rng r(15);
  for (int t = 0; t < 3840; t++) tg[t] = (int32_t)r.below(c.V);
  CrossEntropyArgs<float> a;
  a.h = h.data();
  a.W = W.data();
  a.targets = tg.data();
  a.weights = wt.data();
  a.T = T;
  a.C = c.C;
  a.V = c.V;
  a.dh = dh.data();
  a.dW = dW.data();
  for (auto _ : state) benchmark::DoNotOptimize(cross_entropy_fused(a));
}

// Gradient clipping + AdamW over all 18.9M parameters.
void BM_OpAdamW(benchmark::State& state) {
  TrainModel<float> m(bench_config());
  m.init_random(1);
  auto g = random_floats(m.params.size(), 16, 1e-3f);
  AdamWState st;
  AdamWConfig oc;
  auto decay = decay_mask(m.specs());
  for (auto _ : state) {
    clip_grad_norm(g.data(), (int64_t)g.size(), 1.0);
    adamw_update(m.params.data(), g.data(), st, decay, oc, 1e-4);
  }
}

void BM_TrainPacked(benchmark::State& s) {
  run(s, false, false);
}
void BM_TrainPadded(benchmark::State& s) {
  run(s, true, false);
}
void BM_TrainPackedRecompute(benchmark::State& s) {
  run(s, false, true);
}

BENCHMARK(BM_TrainPacked)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_TrainPadded)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_TrainPackedRecompute)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();
BENCHMARK(BM_OpAttention)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_OpLinears)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_OpElementwise)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_OpCrossEntropy)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_OpAdamW)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
