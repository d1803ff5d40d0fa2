// lw_llm_bench: the engine's prefill and decode speed on a model file, measured the way llama.cpp's
// llama-bench measures them, so the two can run alternately on the same file (see
// scripts/bench/compare_llamacpp.sh):
//   pp N: a prompt of N random tokens into an empty KV cache (one forward pass, last logits only);
//   tg N: N single-token decode steps from an empty cache, each feeding a random token; with
//         --batch B, B sequences (cache slots) decoded together, one forward of B rows per step (the
//         scheduler's batched decode: each weight read once for all B), aggregate tokens/s.
// Prints one line per test: "pp512 <tokens/s>", "tg128 <tokens/s>" or "tg128_b4 <tokens/s>" (median
// of --reps runs), tg's tokens per CPU second of the process ("tg_per_cpu_s"), plus the CPU level.
//
//   lw_llm_bench --model llama1b-q8_0.gguf --pp 512 --tg 128 --reps 3 [--kv-cache f16] [--threads 2]
//                [--batch 4]
#include <CLI/CLI.hpp>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>

#include "cpu/features.hpp"
#include "engine/model.hpp"
#include "engine/ops.hpp"
#include "util/error.hpp"
#include "util/thread_pool.hpp"

using namespace lw;

namespace {

// Sum of n floats (n % 32 == 0) with four 8-lane chains (AVX2; NEON: eight 4-lane chains): fast
// enough that memory, not the adds, bounds it.
#if defined(__aarch64__)
float sum_vec(const float* p, size_t n) {
  float32x4_t a[8];
  for (auto& v : a) v = vdupq_n_f32(0.0f);
  for (size_t i = 0; i < n; i += 32)
    for (int k = 0; k < 8; ++k) a[k] = vaddq_f32(a[k], vld1q_f32(p + i + 4 * k));
  for (int k = 1; k < 8; ++k) a[0] = vaddq_f32(a[0], a[k]);
  return vaddvq_f32(a[0]);
}
#else
__attribute__((target("avx2"))) float sum_vec(const float* p, size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
  }
  alignas(32) float t[8];
  _mm256_store_ps(t, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  return ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
}
#endif

double process_cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Prefill / decode tokens per second of the engine on a model file (llama-bench's pp / tg)"};
  std::string model, kv = "f16";
  int pp = 512, tg = 128, reps = 3, threads = 0, depth = 0, batch = 1;
  bool bandwidth = false;
  app.add_option("--model", model, "A .gguf file or an HF directory")->required();
  app.add_option("--pp", pp, "Prompt tokens (0: skip)")->capture_default_str();
  app.add_option("--tg", tg, "Decode steps (0: skip)")->capture_default_str();
  app.add_option("--depth", depth, "Tokens already in the cache before each test")->capture_default_str();
  app.add_option("--batch", batch, "Sequences decoded together in tg (aggregate tokens/s)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--reps", reps, "Repetitions; the median is printed")->capture_default_str();
  app.add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str();
  app.add_option("--kv-cache", kv, "KV cache dtype: f16, bf16, f32, q8_0, q4_0")->capture_default_str();
  app.add_flag("--bandwidth", bandwidth,
               "Also measure the machine's read bandwidth (the decode threads summing a 2 GB buffer) and\n"
               "print decode's bytes/s: tokens/s x the weight bytes one step streams");
  CLI11_PARSE(app, argc, argv);
  try {
    engine::set_num_threads(threads);
    const auto t0 = std::chrono::steady_clock::now();
    auto m = engine::load_model(model);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int V = m->config().V;
    engine::KvCache cache(m->config(), batch, depth + std::max({pp, tg, 16}) + 8, engine::parse_kv_dtype(kv));
    engine::Workspace ws;
    std::vector<float> logits;
    std::mt19937 rng(42);
    auto ids = [&](int n) {
      std::vector<int32_t> v(n);
      for (auto& x : v) x = static_cast<int32_t>(rng() % static_cast<uint32_t>(V));
      return v;
    };
    auto fill_depth = [&] {
      for (int s = 0; s < batch; ++s) {
        cache.clear(s);
        if (depth > 0) engine::forward(*m, engine::Batch::single(ids(depth), s), &cache, ws, logits);
      }
    };
    // one warm-up pass of each kind (page-ins, buffer growth)
    fill_depth();
    engine::forward(*m, engine::Batch::single(ids(std::min(pp > 0 ? pp : 16, 64))), &cache, ws, logits);
    std::vector<double> pps, tgs, tg_cpu;
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
        std::vector<int> slots(batch);
        for (int s = 0; s < batch; ++s) slots[s] = s;
        std::vector<int32_t> next(batch);
        const auto a = std::chrono::steady_clock::now();
        const double c0 = process_cpu_s();
        for (int s = 0; s < tg; ++s) {
          for (auto& t : next) t = static_cast<int32_t>(rng() % static_cast<uint32_t>(V));
          engine::forward(*m, engine::Batch::decode(next, slots), &cache, ws, logits);
        }
        tgs.push_back(static_cast<double>(tg) * batch /
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
        tg_cpu.push_back(static_cast<double>(tg) * batch / (process_cpu_s() - c0));
      }
    }
    std::printf("model %s\nlevel %s\nthreads %d\nload_s %.2f\n", model.c_str(), cpu::describe().c_str(),
                engine::num_threads(), load_s);
    if (pp > 0) std::printf("pp%d %.2f\n", pp, median(pps));
    if (tg > 0 && batch == 1) std::printf("tg%d %.2f\n", tg, median(tgs));
    if (tg > 0 && batch > 1) std::printf("tg%d_b%d %.2f\n", tg, batch, median(tgs));
    // per CPU second of the process (all its threads): steadier than the wall clock on a machine
    // other jobs share, and with --threads 1 the single-core cost of a step
    if (tg > 0) std::printf("tg_per_cpu_s %.2f\n", median(tg_cpu));
    // The weight bytes one decode step reads: every matrix, but only one row of an untied embedding.
    const auto& w = m->weights();
    double step_bytes = static_cast<double>(m->weight_bytes());
    if (!m->config().tie_word_embeddings) step_bytes -= static_cast<double>(w.tok_embd.nbytes());
    std::printf("bytes_per_token %.0f\n", step_bytes);
    if (tg > 0) std::printf("decode_GBps %.2f\n", median(tgs) / batch * step_bytes / 1e9);
    if (bandwidth) {
      const size_t n = size_t{1} << 29;  // floats: 2 GB
      std::vector<float> buf(n, 1.0f);
      std::vector<double> bw;
      for (int r = 0; r < 3; ++r) {
        std::vector<double> part(64, 0.0);
        const auto a = std::chrono::steady_clock::now();
        ThreadPool::global().parallel_for(64, [&](int64_t c0, int64_t c1) {
          for (int64_t c = c0; c < c1; ++c) {
            part[c] = sum_vec(buf.data() + static_cast<size_t>(c) * (n / 64), n / 64);
          }
        });
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
        double sum = 0;
        for (double v : part) sum += v;
        if (std::fabs(sum - static_cast<double>(n)) > 1e-3 * n) std::fprintf(stderr, "bandwidth: bad sum\n");
        bw.push_back(static_cast<double>(n) * 4 / sec / 1e9);
      }
      std::printf("read_GBps %.2f\n", median(bw));
    }
  } catch (const InputError& e) {
    std::fprintf(stderr, "lw_llm_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
