// Continuous batching: aggregate decode throughput of the serve scheduler with 1, 4 and 8
// sequences decoded together, on a random Llama (C 512, 4 layers, V 32000, f32 and bf16). Decode is
// bound by reading the weights, so sharing one pass among several sequences should raise the
// aggregate tokens/s; compare the rows of one run (ratios, never absolute numbers across machines).
//
//   ./build/bench/bench_serve --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "engine/model.hpp"
#include "serve/scheduler.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

const lw::tok::Tokenizer& vocab() {
  static auto tok = lw::tok::load_tokenizer(std::string(LW_SHARED_DIR) + "/data/vocab/ggml-vocab-llama-spm.gguf");
  return *tok;
}

const lw::engine::Model& model(lw::engine::DType dt) {
  static std::unique_ptr<lw::engine::Model> m[2];
  auto& slot = m[dt == lw::engine::DType::bf16 ? 1 : 0];
  if (!slot) {
    lw::engine::ModelConfig c;
    c.V = 32000;
    c.C = 512;
    c.n_layer = 4;
    c.n_head = 8;
    c.n_kv_head = 4;
    c.hd = 64;
    c.ffn = 1376;
    c.max_context = 1024;
    slot = lw::engine::make_random_model(c, 1, dt, 0.05f);
  }
  return *slot;
}

void BM_SchedulerDecode(benchmark::State& state) {
  const int parallel = static_cast<int>(state.range(0));
  const auto dt = state.range(1) ? lw::engine::DType::bf16 : lw::engine::DType::f32;
  lw::serve::SchedulerOptions so;
  so.n_slots = parallel;
  so.max_context = 512;
  so.prefill_chunk = 512;
  lw::serve::Scheduler sched(model(dt), vocab(), so);
  int64_t tokens = 0;
  for (auto _ : state) {
    std::vector<std::shared_ptr<lw::serve::SeqStream>> outs;
    for (int i = 0; i < parallel; ++i) {
      lw::serve::SeqParams p;
      p.prompt = {1, 100 + i, 200 + i, 300 + i};
      p.max_new_tokens = 32;
      outs.push_back(sched.submit(p));
    }
    std::string s;
    for (auto& o : outs) {
      while (o->next(s)) {
      }
      tokens += o->completion_tokens();
    }
  }
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.SetLabel(lw::engine::dtype_name(dt));
}

BENCHMARK(BM_SchedulerDecode)
    ->ArgsProduct({{1, 4, 8}, {0, 1}})
    ->ArgNames({"parallel", "bf16"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
