// lw_llm_bench: the engine's prefill and decode speed on a model file, measured the way llama.cpp's
// llama-bench measures them, so the two can run alternately on the same file (see
// scripts/bench/compare_llamacpp.sh):
//   pp N: a prompt of N random tokens into an empty KV cache (one forward pass, last logits only);
//   tg N: N single-token decode steps from an empty cache, each feeding a random token.
// Prints one line per test: "pp512 <tokens/s>" ... (median of --reps runs), plus the CPU level.
//
//   lw_llm_bench --model llama1b-q8_0.gguf --pp 512 --tg 128 --reps 3 [--kv-cache f16] [--threads 2]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "cpu/features.hpp"
#include "engine/model.hpp"
#include "engine/ops.hpp"
#include "util/error.hpp"

using namespace lw;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Prefill / decode tokens per second of the engine on a model file (llama-bench's pp / tg)"};
  std::string model, kv = "f16";
  int pp = 512, tg = 128, reps = 3, threads = 0, depth = 0;
  app.add_option("--model", model, "A .gguf file or an HF directory")->required();
  app.add_option("--pp", pp, "Prompt tokens (0: skip)")->capture_default_str();
  app.add_option("--tg", tg, "Decode steps (0: skip)")->capture_default_str();
  app.add_option("--depth", depth, "Tokens already in the cache before each test")->capture_default_str();
  app.add_option("--reps", reps, "Repetitions; the median is printed")->capture_default_str();
  app.add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str();
  app.add_option("--kv-cache", kv, "KV cache dtype: f16, bf16, f32")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    engine::set_num_threads(threads);
    const auto t0 = std::chrono::steady_clock::now();
    auto m = engine::load_model(model);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int V = m->config().V;
    engine::KvCache cache(m->config(), 1, depth + std::max(pp, tg) + 8, engine::parse_kv_dtype(kv));
    engine::Workspace ws;
    std::vector<float> logits;
    std::mt19937 rng(42);
    auto ids = [&](int n) {
      std::vector<int32_t> v(n);
      for (auto& x : v) x = static_cast<int32_t>(rng() % static_cast<uint32_t>(V));
      return v;
    };
    auto fill_depth = [&] {
      cache.clear(0);
      if (depth > 0) engine::forward(*m, engine::Batch::single(ids(depth)), &cache, ws, logits);
    };
    // one warm-up pass of each kind (page-ins, buffer growth)
    fill_depth();
    engine::forward(*m, engine::Batch::single(ids(std::min(pp > 0 ? pp : 16, 64))), &cache, ws, logits);
    std::vector<double> pps, tgs;
    for (int r = 0; r < reps; ++r) {
      if (pp > 0) {
        fill_depth();
        const auto prompt = ids(pp);
        const auto a = std::chrono::steady_clock::now();
        engine::forward(*m, engine::Batch::single(prompt), &cache, ws, logits);
        pps.push_back(pp / std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
      }
      if (tg > 0) {
        fill_depth();
        const int slot = 0;
        const auto a = std::chrono::steady_clock::now();
        for (int s = 0; s < tg; ++s) {
          const int32_t t = static_cast<int32_t>(rng() % static_cast<uint32_t>(V));
          engine::forward(*m, engine::Batch::decode(std::span(&t, 1), std::span(&slot, 1)), &cache, ws, logits);
        }
        tgs.push_back(tg / std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
      }
    }
    std::printf("model %s\nlevel %s\nthreads %d\nload_s %.2f\n", model.c_str(), cpu::describe().c_str(),
                engine::num_threads(), load_s);
    if (pp > 0) std::printf("pp%d %.2f\n", pp, median(pps));
    if (tg > 0) std::printf("tg%d %.2f\n", tg, median(tgs));
  } catch (const InputError& e) {
    std::fprintf(stderr, "lw_llm_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
