// Training throughput (forward + backward + AdamW) of the ~19M-parameter config of issue 7
// (vocab 8192, hidden 384, 8 layers, 6 heads, 2 KV heads, FFN 1024, untied) on a pack of 4096
// tokens holding 4 sequences, vs the same 4 sequences padded to the longest one (the usual
// per-sequence batch). Reports real (non-padding) tokens/s and the process's peak RSS.
//
//   OMP_NUM_THREADS=2 ./build/bench_train --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <vector>

#include "engine/config.hpp"
#include "train/batch.hpp"
#include "train/model.hpp"
#include "train/optim.hpp"
#include "train/rng.hpp"

namespace {

using namespace lw::train;

lw::engine::ModelConfig bench_config() {
  lw::engine::ModelConfig c;
  c.V = 8192; c.C = 384; c.n_layer = 8; c.n_head = 6; c.n_kv_head = 2; c.hd = 64; c.ffn = 1024;
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
  state.counters["tokens/s"] = benchmark::Counter((double)real * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["rows_T"] = row.T();
  state.counters["params_M"] = (double)m.n_params() / 1e6;
  state.counters["act_MiB"] = (double)m.activation_bytes() / (1 << 20);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MiB"] = (double)ru.ru_maxrss / 1024.0;
}

void BM_TrainPacked(benchmark::State& s) { run(s, false, false); }
void BM_TrainPadded(benchmark::State& s) { run(s, true, false); }
void BM_TrainPackedRecompute(benchmark::State& s) { run(s, false, true); }

BENCHMARK(BM_TrainPacked)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_TrainPadded)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_TrainPackedRecompute)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
