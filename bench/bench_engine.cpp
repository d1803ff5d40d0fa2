// Engine throughput on the issue's ~152M-parameter random Llama (hidden 768, 12 layers, 12 heads,
// 4 KV heads, FFN 2048, vocab 50257): prefill and decode tokens/s in f32 and bf16 at several
// context lengths, and attention time/memory vs T. Baselines measured in the same run:
// BM_WeightRead (streaming the weight bytes once = the memory-bandwidth bound of one decode step)
// and BM_Sgemm (OpenBLAS on a prefill-sized matmul = the FMA bound of prefill).
//
//   build/bench/bench_engine --benchmark_filter='Prefill|Decode|WeightRead'
//   LW_BENCH_LONG=1 build/bench/bench_engine   # adds context 16384 (minutes)
//
// For a comparison with another engine on the very same weights (scripts/bench/compare_llamacpp.sh):
//   LW_BENCH_MAKE_MODEL=DIR build/bench/bench_engine   # writes the random model as an HF directory
//                                                     # (config.json, model.safetensors f32, GPT-2
//                                                     # tokenizer.json) and exits
//   LW_BENCH_MODEL=PATH build/bench/bench_engine ...   # benchmarks that model (HF dir or .gguf; the
//                                                     # f32 / bf16 cases convert it at load time)
#include <benchmark/benchmark.h>

#include <cblas.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "engine/model.hpp"
#include "engine/ops.hpp"
#include "engine/save.hpp"
#include "io/gguf.hpp"
#include "convert/gguf_tokenizer.hpp"

using namespace lw::engine;

namespace {

ModelConfig llama150m() {
  ModelConfig c;
  c.V = 50257;
  c.C = 768;
  c.n_layer = 12;
  c.n_head = 12;
  c.n_kv_head = 4;
  c.hd = 64;
  c.ffn = 2048;
  c.max_context = 32768;
  c.rope_theta = 10000.0f;
  c.bos_id = 50256;  // GPT-2's <|endoftext|>, so the tokenizer written beside it agrees
  c.eos_ids = {50256};
  return c;
}

// The random model, or LW_BENCH_MODEL converted to `dt` at load time.
const Model& model(DType dt) {
  static std::map<DType, std::unique_ptr<Model>> cache;
  auto& m = cache[dt];
  if (!m) {
    if (const char* path = std::getenv("LW_BENCH_MODEL")) {
      LoadOptions o;
      o.convert = dt == DType::f32 ? LoadOptions::Convert::f32 : LoadOptions::Convert::bf16;
      m = load_model(path, o);
    } else {
      m = make_random_model(llama150m(), 1, dt, 0.02f);
    }
  }
  return *m;
}

// LW_BENCH_MAKE_MODEL=DIR: the benchmark's random f32 model as an HF directory, with the GPT-2
// vocabulary (50,257 tokens, from the shared test vocabularies) as tokenizer.json.
int make_model_dir(const std::filesystem::path& dir) {
  const ModelConfig cfg = llama150m();
  auto m = make_random_model(cfg, 1, DType::f32, 0.02f);
  save_hf_model(cfg, m->weights(), dir, DType::f32);
  const auto vocab = lw::io::GgufFile::open(std::filesystem::path(LW_SHARED_DIR) / "data/vocab/ggml-vocab-gpt-2.gguf");
  std::string notes;
  const bool ok = lw::convert::write_hf_tokenizer_from_gguf(vocab, dir, notes);
  std::fprintf(stderr, "%s", notes.c_str());
  std::printf("wrote %s: %s%s\n", dir.string().c_str(), m->describe().c_str(), ok ? ", tokenizer.json" : "");
  return ok ? 0 : 1;
}

DType dtype_arg(int64_t v) { return v == 0 ? DType::f32 : DType::bf16; }
// KV cache dtype argument: 0 f32, 1 f16, 2 bf16.
DType kv_arg(int64_t v) { return v == 0 ? DType::f32 : v == 1 ? DType::f16 : DType::bf16; }
std::string label(const benchmark::State& st, int kv_index) {
  return dtype_name(dtype_arg(st.range(0))) + " kv " + dtype_name(kv_arg(st.range(kv_index)));
}

std::vector<int32_t> ids(int n) {
  std::mt19937 rng(7);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = static_cast<int32_t>(rng() % 50257);
  return v;
}

// Prefill of T tokens (into a KV cache of dtype kv_arg(range 2), last-token logits only, as
// generation does).
void BM_Prefill(benchmark::State& st) {
  const Model& m = model(dtype_arg(st.range(0)));
  const int T = static_cast<int>(st.range(1));
  auto prompt = ids(T);
  KvCache cache(m.config(), 1, T, kv_arg(st.range(2)));
  Workspace ws;
  std::vector<float> logits;
  for (auto _ : st) {
    cache.clear(0);
    forward(m, Batch::single(prompt), &cache, ws, logits);
    benchmark::DoNotOptimize(logits.data());
  }
  st.counters["tokens/s"] = benchmark::Counter(static_cast<double>(T) * st.iterations(), benchmark::Counter::kIsRate);
  st.SetLabel(label(st, 2));
}

// One decode step at context length L (the cache, of dtype kv_arg(range 3), holds L tokens of
// random keys/values: attention costs what it would after a real prefill), for B sequences decoded
// together.
void BM_Decode(benchmark::State& st) {
  const Model& m = model(dtype_arg(st.range(0)));
  const int L = static_cast<int>(st.range(1)), B = static_cast<int>(st.range(2));
  KvCache cache(m.config(), B, L + 1, kv_arg(st.range(3)));
  std::mt19937 rng(3);
  std::normal_distribution<float> nd;
  std::vector<float> k(static_cast<size_t>(L) * cache.kv_dim()), v(k.size());  // (L, kv_dim)
  for (int l = 0; l < m.config().n_layer; ++l)
    for (int s = 0; s < B; ++s) {
      for (size_t i = 0; i < k.size(); ++i) {
        k[i] = nd(rng);
        v[i] = nd(rng);
      }
      cache.store(l, s, 0, k.data(), v.data(), L);
    }
  std::vector<int> slots(B);
  for (int s = 0; s < B; ++s) slots[s] = s;
  std::vector<int32_t> next(B, 42);
  Workspace ws;
  std::vector<float> logits;
  for (auto _ : st) {
    for (int s = 0; s < B; ++s) cache.set_length(s, L);
    forward(m, Batch::decode(next, slots), &cache, ws, logits);
    benchmark::DoNotOptimize(logits.data());
  }
  st.counters["tokens/s"] = benchmark::Counter(static_cast<double>(B) * st.iterations(), benchmark::Counter::kIsRate);
  st.counters["GB/s_weights"] =
      benchmark::Counter(static_cast<double>(m.weight_bytes()) * st.iterations() / 1e9, benchmark::Counter::kIsRate);
  // Bytes one step must read: the weights plus the cached keys and values of every sequence.
  st.counters["kv_MB_read"] = static_cast<double>(cache.bytes()) * L / (L + 1) / 1e6;
  st.SetLabel(label(st, 3));
}

// Baseline: read every weight byte once (what one decode step must at least do).
void BM_WeightRead(benchmark::State& st) {
  const Model& m = model(dtype_arg(st.range(0)));
  std::vector<const Tensor*> ts;
  const auto& w = m.weights();
  ts.push_back(&w.tok_embd);
  ts.push_back(&w.lm_head);
  for (const auto& L : w.layers)
    for (const Tensor* t : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) ts.push_back(t);
  size_t bytes = 0;
  for (auto* t : ts) bytes += t->nbytes();
  bytes -= w.tok_embd.nbytes();  // decode reads one embedding row, not the table
  for (auto _ : st) {
    uint64_t acc = 0;
    for (size_t i = 1; i < ts.size(); ++i) {
      const auto* p = static_cast<const uint64_t*>(ts[i]->data);
      const size_t n = ts[i]->nbytes() / 8;
      uint64_t a = 0;
#pragma omp parallel for reduction(^ : a)
      for (size_t j = 0; j < n; ++j) a ^= p[j];
      acc ^= a;
    }
    benchmark::DoNotOptimize(acc);
  }
  st.counters["GB/s"] = benchmark::Counter(static_cast<double>(bytes) * st.iterations() / 1e9, benchmark::Counter::kIsRate);
  st.counters["bound_tokens/s"] = benchmark::Counter(static_cast<double>(st.iterations()), benchmark::Counter::kIsRate);
  st.SetLabel(dtype_name(dtype_arg(st.range(0))));
}

// Baseline: OpenBLAS sgemm (T x 768) . (768 x 2048) — the FLOP rate prefill's matmuls can reach.
void BM_Sgemm(benchmark::State& st) {
  const int T = static_cast<int>(st.range(0)), K = 768, N = 2048;
  std::vector<float> a(static_cast<size_t>(T) * K, 0.5f), b(static_cast<size_t>(N) * K, 0.25f), c(static_cast<size_t>(T) * N);
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, N, K, 1.0f, a.data(), K, b.data(), K, 0.0f, c.data(), N);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * T * K * N * st.iterations() / 1e9, benchmark::Counter::kIsRate);
}

// Attention alone: 12 heads, 4 KV heads, hd 64, one causal sequence of T tokens. Extra memory is
// the per-thread tile scratch (constant in T); a naive kernel would hold T*T scores per head.
void BM_Attention(benchmark::State& st) {
  const int T = static_cast<int>(st.range(0));
  AttnDims d{12, 4, 64, 0.125f};
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  std::vector<float> q(static_cast<size_t>(T) * 768), k(static_cast<size_t>(T) * 256), v(k.size()), out(q.size());
  for (auto* buf : {&q, &k, &v})
    for (auto& x : *buf) x = nd(rng);
  std::vector<int32_t> cu = {0, T};
  for (auto _ : st) {
    attention_forward(out.data(), nullptr, q.data(), k.data(), v.data(), cu.data(), 1, d);
    benchmark::DoNotOptimize(out.data());
  }
  st.counters["tokens/s"] = benchmark::Counter(static_cast<double>(T) * st.iterations(), benchmark::Counter::kIsRate);
  st.counters["GFLOP/s"] = benchmark::Counter(4.0 * T * T / 2 * 64 * 12 * st.iterations() / 1e9, benchmark::Counter::kIsRate);
  st.counters["io_MB"] = (q.size() + k.size() + v.size() + out.size()) * 4 / 1e6;
  // Per thread: the transposed key tile (hd x 64), one row of scores, and for the 3 query heads of
  // a KV head a (32, hd) accumulator with its running max and sum (attention.cpp's Scratch).
  st.counters["scratch_KB_per_thread"] = (64 * 64 + 64 + 3 * 32 * 64 + 2 * 3 * 32) * 4 / 1e3;
  st.counters["naive_scores_MB"] = static_cast<double>(T) * T * 4 / 1e6;
}

bool long_runs() { return std::getenv("LW_BENCH_LONG") != nullptr; }

// Arguments: weights dtype (0 f32, 1 bf16), tokens, [sequences,] KV cache dtype (0 f32, 1 f16,
// 2 bf16). llama.cpp's cache is f16 by default: kv 1 is the like-for-like comparison.
void prefill_args(benchmark::internal::Benchmark* b) {
  for (int dt : {0, 1}) {
    b->Args({dt, 128, 0});
    for (int kv : {0, 1}) {
      b->Args({dt, 512, kv});
      b->Args({dt, 4096, kv});
      if (long_runs()) b->Args({dt, 16384, kv});
    }
  }
}

void decode_args(benchmark::internal::Benchmark* b) {
  for (int dt : {0, 1}) {
    for (int kv : {0, 1, 2}) {
      for (int L : {64, 512, 4096}) b->Args({dt, L, 1, kv});
      if (long_runs()) b->Args({dt, 16384, 1, kv});
    }
    b->Args({dt, 512, 4, 0});
    b->Args({dt, 512, 4, 1});
  }
}

}  // namespace

BENCHMARK(BM_WeightRead)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_Sgemm)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_Prefill)->Apply(prefill_args)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Decode)->Apply(decode_args)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_Attention)->RangeMultiplier(4)->Range(512, 8192)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(1);

int main(int argc, char** argv) {
  if (const char* dir = std::getenv("LW_BENCH_MAKE_MODEL")) {
    try {
      return make_model_dir(dir);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 1;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
