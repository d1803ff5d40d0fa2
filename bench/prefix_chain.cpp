// lw_prefix_bench: what prefix reuse saves on an AgentWrite-like chain. A chain of --requests
// requests, each prompt extending the previous one by --step random tokens, each generating
// --gen tokens, runs through the serve scheduler with the prefix cache and without it, alternately
// (--reps times each, medians). Prints, per mode, the prompt tokens the forward passes computed
// (counted by the scheduler, not estimated), the cached ones, the wall time, and the ratio.
//
//   lw_prefix_bench --model llama152m-bf16.gguf --requests 10 --step 1000 --gen 16 --reps 3 --threads 2
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <tuple>

#include "engine/model.hpp"
#include "serve/scheduler.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"

using namespace lw;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

struct Run {
  double seconds = 0;
  serve::Scheduler::Stats stats;
  std::vector<std::string> replies;
};

Run run_chain(const engine::Model& m, const tok::Tokenizer& tok, const std::vector<int32_t>& text, int requests,
              int step, int gen, bool reuse, int threads, engine::DType kv, int chains) {
  serve::SchedulerOptions o;
  o.n_slots = chains;
  o.max_context = static_cast<int>(text.size()) / chains + gen + 8;
  o.threads = threads;
  o.kv_dtype = kv;
  o.prefix_cache = reuse;
  serve::Scheduler s(m, tok, o);
  Run r;
  std::vector<std::string> replies(static_cast<size_t>(chains * requests));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads_v;
  for (int c = 0; c < chains; ++c)
    threads_v.emplace_back([&, c] {
      const auto base = text.begin() + static_cast<std::ptrdiff_t>(c) * requests * step;
      for (int k = 0; k < requests; ++k) {
        serve::SeqParams p;
        p.prompt.assign(base, base + static_cast<std::ptrdiff_t>(k + 1) * step);
        p.max_new_tokens = gen;
        auto out = s.submit(std::move(p));
        std::string piece, all;
        while (out->next(piece)) all += piece;
        replies[static_cast<size_t>(c * requests + k)] = all;
      }
    });
  for (auto& t : threads_v) t.join();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.stats = s.stats();
  r.replies = std::move(replies);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Prefix reuse on a chain of requests that each extend the previous prompt"};
  std::string model, tokenizer, kv = "f16";
  int requests = 10, step = 1000, gen = 16, reps = 3, threads = 0, chains = 1;
  app.add_option("--model", model, "A .gguf file or an HF directory")->required();
  app.add_option("--tokenizer", tokenizer, "Tokenizer file or directory (default: the model's)");
  app.add_option("--requests", requests, "Requests per chain")->capture_default_str();
  app.add_option("--step", step, "Prompt tokens each request adds")->capture_default_str();
  app.add_option("--gen", gen, "Tokens generated per request (greedy)")->capture_default_str();
  app.add_option("--chains", chains, "Chains run at once (one slot each)")->capture_default_str();
  app.add_option("--reps", reps, "Repetitions of each mode, alternating; medians are printed")->capture_default_str();
  app.add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str();
  app.add_option("--kv-cache", kv, "KV cache dtype: f16, bf16, f32")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    auto m = engine::load_model(model);
    auto tok = tok::load_tokenizer(tokenizer.empty() ? model : tokenizer);
    std::mt19937 rng(42);
    const int V = std::min<int>(m->config().V, tok->vocab_size());
    std::vector<int32_t> text(static_cast<size_t>(chains) * requests * step);
    for (auto& x : text) x = static_cast<int32_t>(rng() % static_cast<uint32_t>(V - 1000)) + 500;
    const auto dt = engine::parse_kv_dtype(kv);
    run_chain(*m, *tok, text, 1, std::min(step, 256), 4, false, threads, dt, 1);  // warm-up
    std::vector<double> on_s, off_s;
    Run on, off;
    for (int r = 0; r < reps; ++r) {
      on = run_chain(*m, *tok, text, requests, step, gen, true, threads, dt, chains);
      off = run_chain(*m, *tok, text, requests, step, gen, false, threads, dt, chains);
      on_s.push_back(on.seconds);
      off_s.push_back(off.seconds);
      std::fprintf(stderr, "rep %d: reuse %.2f s, no reuse %.2f s\n", r + 1, on.seconds, off.seconds);
    }
    const bool same = on.replies == off.replies;
    const int64_t prompt_total = on.stats.prompt_tokens_total;
    std::printf("model %s\nkv_cache %s\nchains %d requests %d step %d gen %d reps %d\n", model.c_str(), kv.c_str(),
                chains, requests, step, gen, reps);
    std::printf("prompt_tokens_total %lld\nnew_prompt_tokens %lld\n", static_cast<long long>(prompt_total),
                static_cast<long long>(static_cast<int64_t>(chains) * requests * step));
    for (const auto& [name, run, secs] : {std::tuple{"reuse", &on, &on_s}, std::tuple{"no_reuse", &off, &off_s}})
      std::printf("%s computed_prompt_tokens %lld cached_tokens %lld hits %lld/%lld seconds_median %.3f\n", name,
                  static_cast<long long>(run->stats.prompt_tokens),
                  static_cast<long long>(run->stats.prompt_tokens_cached),
                  static_cast<long long>(run->stats.prefix_hits), static_cast<long long>(run->stats.sequences),
                  median(*secs));
    std::printf("speedup %.2f\nreplies_identical %s\n", median(off_s) / median(on_s), same ? "yes" : "no");
    return 0;
  } catch (const InputError& e) {
    std::fprintf(stderr, "lw_prefix_bench: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lw_prefix_bench: %s\n", e.what());
    return 1;
  }
}
