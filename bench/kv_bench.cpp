// lw_kv_bench: prefill and decode speed at long context for several KV cache types, in one run with
// the types interleaved rep by rep (so machine load hits them alike). For each depth D the cache of
// each type is filled with D rows of random keys and values (attention costs the same whatever
// the values; a real prefill of 32k tokens would take minutes), then
//   pp N: a prompt of N random tokens appended at position D (one forward pass: the tile kernel
//         reading D + N cached rows per query tile), and
//   tg N: N single-token decode steps from position D (the decode kernel reading D.. rows),
//   attn: the decode attention alone (one query row per head, every layer's D cached rows: what a
//         decode step adds at depth D on top of reading the weights), in microseconds,
// each timed per rep. Prints per depth and type the medians, and the median over reps of each
// rep's ratio to the first type (for attn: the first type's time over this one's, so > 1 is
// faster), plus the cache's bytes.
//
//   lw_kv_bench --model llama1b-q4_k_m.gguf --kv-cache f16,q8_0 --depths 4096,8192,16384,32768
//               --pp 64 --tg 8 --reps 3
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

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

double since(std::chrono::steady_clock::time_point a) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Prefill / decode tokens per second at long context, per KV cache type, interleaved"};
  std::string model, types = "f16,q8_0";
  std::vector<int> depths = {4096, 8192, 16384, 32768};
  int pp = 64, tg = 8, reps = 3, threads = 0;
  app.add_option("--model", model, "A .gguf file or an HF directory")->required();
  app.add_option("--kv-cache", types, "KV cache types, comma-separated (ratios are to the first)")
      ->capture_default_str();
  app.add_option("--depths", depths, "Context already in the cache (random rows)")->delimiter(',');
  app.add_option("--pp", pp, "Prompt tokens appended at the depth (0: skip)")->capture_default_str();
  app.add_option("--tg", tg, "Decode steps from the depth (0: skip)")->capture_default_str();
  app.add_option("--reps", reps, "Repetitions of each (type, test), interleaved")->capture_default_str();
  app.add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    engine::set_num_threads(threads);
    auto m = engine::load_model(model);
    const engine::ModelConfig& c = m->config();
    std::vector<engine::DType> kv;
    std::vector<std::string> names;
    std::stringstream ss(types);
    for (std::string name; std::getline(ss, name, ',');) {
      kv.push_back(engine::parse_kv_dtype(name));
      names.push_back(name);
    }
    std::mt19937 rng(42);
    auto ids = [&](int n) {
      std::vector<int32_t> v(n);
      for (auto& x : v) x = static_cast<int32_t>(rng() % static_cast<uint32_t>(c.V));
      return v;
    };
    std::printf("model %s\nlevel %s\nthreads %d\n", model.c_str(), cpu::describe().c_str(),
                engine::num_threads());
    std::printf("%6s %-5s %10s %10s %10s %9s %9s %10s %10s\n", "depth", "kv", "pp_tok_s", "tg_tok_s",
                "attn_us", "pp_ratio", "tg_ratio", "attn_ratio", "kv_MiB");
    engine::AttnDims dims{c.n_head, c.n_kv_head, c.hd, 1.0 / std::sqrt(static_cast<double>(c.hd))};
    std::vector<float> q(static_cast<size_t>(c.n_head) * c.hd, 0.5f), out(q.size());
    for (int depth : depths) {
      std::vector<engine::KvCache> caches;
      {  // D rows of random keys and values in every layer of every cache
        std::normal_distribution<float> nd(0.0f, 1.0f);
        std::vector<float> k(static_cast<size_t>(depth) * c.kv_dim()), v(k.size());
        for (auto& x : k) x = nd(rng);
        for (auto& x : v) x = nd(rng);
        for (engine::DType t : kv) {
          caches.emplace_back(c, 1, depth + std::max(pp, tg) + 8, t);
          for (int layer = 0; layer < c.n_layer; ++layer)
            caches.back().store(layer, 0, 0, k.data(), v.data(), depth);
        }
      }
      engine::Workspace ws;
      std::vector<float> logits;
      const size_t nt = kv.size();
      std::vector<std::vector<double>> pps(nt), tgs(nt), pp_ratio(nt), tg_ratio(nt), attn(nt), attn_ratio(nt);
      for (int r = 0; r < reps; ++r) {
        const auto prompt = ids(pp);
        const auto steps = ids(tg);
        for (size_t t = 0; t < nt; ++t) {
          engine::KvCache& cache = caches[t];
          if (pp > 0) {
            cache.set_length(0, depth);
            const auto a = std::chrono::steady_clock::now();
            engine::forward(*m, engine::Batch::single(prompt), &cache, ws, logits);
            pps[t].push_back(pp / since(a));
            pp_ratio[t].push_back(pps[t].back() / pps[0].back());
          }
          if (tg > 0) {
            cache.set_length(0, depth);
            const int slot = 0;
            const auto a = std::chrono::steady_clock::now();
            for (int s = 0; s < tg; ++s)
              engine::forward(*m, engine::Batch::decode(std::span(&steps[s], 1), std::span(&slot, 1)), &cache,
                              ws, logits);
            tgs[t].push_back(tg / since(a));
            tg_ratio[t].push_back(tgs[t].back() / tgs[0].back());
          }
          const auto a = std::chrono::steady_clock::now();
          for (int layer = 0; layer < c.n_layer; ++layer)
            engine::attention_seqs_forward(
                {engine::AttnSeq{q.data(), cache.k(layer, 0), cache.v(layer, 0), out.data(), nullptr, 1,
                                 depth, dims.q_dim(), c.kv_dim(), 0, kv[t]}},
                dims);
          attn[t].push_back(1e6 * since(a));
          attn_ratio[t].push_back(attn[0].back() / attn[t].back());
        }
      }
      for (size_t t = 0; t < nt; ++t)
        std::printf("%6d %-5s %10.2f %10.2f %10.0f %9.3f %9.3f %10.3f %10.1f\n", depth, names[t].c_str(),
                    median(pps[t]), median(tgs[t]), median(attn[t]), median(pp_ratio[t]), median(tg_ratio[t]),
                    median(attn_ratio[t]), static_cast<double>(caches[t].bytes()) / (1 << 20));
      std::fflush(stdout);
    }
  } catch (const InputError& e) {
    std::fprintf(stderr, "lw_kv_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
