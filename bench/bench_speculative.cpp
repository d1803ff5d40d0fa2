// Speculative decoding's price: one forward pass of R rows of one sequence with the KV cache (a
// verify step of R - 1 drafted tokens) against one decode step (R = 1), on a real-sized model file,
// after a prompt of LW_BENCH_CTX tokens (default 256). Each iteration runs the step and rewinds the
// cache (KvCache::set_length), as a rejected verify does. The ratio time(R) / time(1) is the cost of
// a verify step in decode steps; with acceptance rate a per drafted token and K = R - 1 drafts, a
// step emits (1 - a^(K+1)) / (1 - a) tokens on average, so the speed-up over plain decoding is that
// number divided by the ratio (for --lookup, whose drafts cost nothing). Interleave the
// repetitions so that every R sees the same load, and compare medians of the same run.
//
//   LW_BENCH_MODEL=/work/models/llama1b-q4_k_m.gguf LW_BENCH_THREADS=1 build/bench/bench_speculative
//     --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
//     --benchmark_report_aggregates_only=true
//
// With LW_BENCH_THREADS=1 the times are CPU seconds of the one thread (steady on a shared machine).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "engine/model.hpp"
#include "engine/ops.hpp"

namespace {

using namespace lw;

struct Setup {
  std::unique_ptr<engine::Model> model;
  std::unique_ptr<engine::KvCache> cache;
  engine::Workspace ws;
  std::vector<float> logits;
  int ctx = 0;
};

Setup* setup() {
  static Setup* s = [] {
    const char* path = std::getenv("LW_BENCH_MODEL");
    if (!path) return static_cast<Setup*>(nullptr);
    if (const char* t = std::getenv("LW_BENCH_THREADS")) engine::set_num_threads(std::atoi(t));
    auto* st = new Setup;
    st->model = engine::load_model(path);
    st->ctx = std::getenv("LW_BENCH_CTX") ? std::atoi(std::getenv("LW_BENCH_CTX")) : 256;
    st->cache = std::make_unique<engine::KvCache>(st->model->config(), 1, st->ctx + 32, engine::DType::f16);
    std::mt19937 rng(1);
    std::vector<int32_t> prompt(static_cast<size_t>(st->ctx));
    for (auto& t : prompt) t = static_cast<int32_t>(rng() % 1000 + 100);
    engine::forward(*st->model, engine::Batch::single(prompt), st->cache.get(), st->ws, st->logits);
    return st;
  }();
  return s;
}

void BM_VerifyStep(benchmark::State& state) {
  Setup* s = setup();
  if (!s) {
    state.SkipWithError("set LW_BENCH_MODEL to a model file (e.g. /work/models/llama1b-q4_k_m.gguf)");
    return;
  }
  const int R = static_cast<int>(state.range(0));
  std::vector<int32_t> step(static_cast<size_t>(R));
  for (int i = 0; i < R; ++i) step[static_cast<size_t>(i)] = 200 + i;
  engine::Batch b = engine::Batch::single(step);
  b.logit_rows = {R};
  for (auto _ : state) {
    engine::forward(*s->model, b, s->cache.get(), s->ws, s->logits);
    s->cache->set_length(0, s->ctx);
    benchmark::DoNotOptimize(s->logits.data());
  }
  state.counters["rows"] = R;
  state.counters["tokens_per_s_if_all_accepted"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * R, benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_VerifyStep)->Arg(1)->Arg(2)->Arg(3)->Arg(5)->Arg(9)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
