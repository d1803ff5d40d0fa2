// lw_kv_quality: what a quantized KV cache does to a model's next-token distribution. The text is
// tokenized with the model's tokenizer and cut into windows of --ctx tokens; each window is
// prefilled once through a cache of the base type (default f16) and once through each tested type,
// all positions' logits kept (a prefill through the cache reads the cached, rounded keys and
// values, as decoding does). Per position: KL(base || tested) of the softmax distributions and
// whether the top-1 tokens agree; per type: the mean NLL of the text's own next tokens.
//
//   lw_kv_quality --model demo-out/models/long --text corpus.txt --kv-cache f32,q8_0,q4_0 --max-tokens 4096
//
// Prints one line per tested type: positions, mean / p99 / max KL (nats), top-1 agreement, NLL and
// the base's NLL. Results: docs/engine.md, "Quantized KV cache".
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "engine/model.hpp"
#include "engine/ops.hpp"
#include "io/file.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"

using namespace lw;

namespace {

// log-softmax of one row of logits (V) into out.
void log_softmax(const float* x, int V, std::vector<double>& out) {
  out.resize(V);
  double mx = x[0];
  for (int i = 1; i < V; ++i) mx = std::max(mx, static_cast<double>(x[i]));
  double sum = 0;
  for (int i = 0; i < V; ++i) sum += std::exp(x[i] - mx);
  const double lse = mx + std::log(sum);
  for (int i = 0; i < V; ++i) out[i] = x[i] - lse;
}

struct Stats {
  std::vector<double> kl;  // per position
  int64_t agree = 0;
  double nll = 0, base_nll = 0;
};

// All positions' logits (T, V) of ids through a fresh cache of type t.
std::vector<float> logits_through(const engine::Model& m, const std::vector<int32_t>& ids, engine::DType t) {
  engine::KvCache cache(m.config(), 1, static_cast<int>(ids.size()), t);
  engine::Workspace ws;
  std::vector<float> logits;
  engine::forward(m, engine::Batch::single(ids, 0, /*all_logits=*/true), &cache, ws, logits);
  return logits;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Next-token KL divergence and top-1 agreement of quantized KV caches against a base KV type"};
  std::string model, text, types = "f32,q8_0,q4_0", base = "f16";
  int ctx = 0, threads = 0;
  int64_t max_tokens = 4096;
  app.add_option("--model", model, "An HF model directory (with its tokenizer) or a .gguf file")->required();
  app.add_option("--text", text, "A UTF-8 text file")->required();
  app.add_option("--kv-cache", types, "Tested KV cache types, comma-separated")->capture_default_str();
  app.add_option("--base", base, "The reference KV cache type")->capture_default_str();
  app.add_option("--ctx", ctx, "Tokens per window (0: the model's context length)")->capture_default_str();
  app.add_option("--max-tokens", max_tokens, "Positions evaluated in all")->capture_default_str();
  app.add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    engine::set_num_threads(threads);
    auto m = engine::load_model(model);
    auto tk = tok::load_tokenizer(model);
    const int V = m->config().V;
    if (ctx <= 0) ctx = m->config().max_context;
    std::vector<int32_t> all;
    for (auto id : tk->encode(io::read_file(text))) all.push_back(static_cast<int32_t>(id));
    if (static_cast<int64_t>(all.size()) > max_tokens + 1) all.resize(static_cast<size_t>(max_tokens) + 1);
    if (all.size() < 2) fail_input("--text {}: fewer than 2 tokens", text);
    const engine::DType base_t = engine::parse_kv_dtype(base);
    std::vector<engine::DType> tested;
    std::vector<std::string> names;
    std::stringstream ss(types);
    for (std::string name; std::getline(ss, name, ',');) {
      tested.push_back(engine::parse_kv_dtype(name));
      names.push_back(name);
    }
    std::vector<Stats> st(tested.size());
    std::vector<double> lb, lt;
    for (size_t w0 = 0; w0 + 1 < all.size(); w0 += static_cast<size_t>(ctx)) {
      const size_t n =
          std::min(static_cast<size_t>(ctx), all.size() - 1 - w0);  // positions with a next token
      std::vector<int32_t> ids(all.begin() + static_cast<int64_t>(w0),
                               all.begin() + static_cast<int64_t>(w0 + n));
      const std::vector<float> ref = logits_through(*m, ids, base_t);  // (n, V)
      for (size_t t = 0; t < tested.size(); ++t) {
        const std::vector<float> got = logits_through(*m, ids, tested[t]);
        for (size_t i = 0; i < n; ++i) {
          const float* a = ref.data() + i * V;
          const float* b = got.data() + i * V;
          log_softmax(a, V, lb);
          log_softmax(b, V, lt);
          double kl = 0;
          for (int v = 0; v < V; ++v) kl += std::exp(lb[v]) * (lb[v] - lt[v]);
          st[t].kl.push_back(std::max(kl, 0.0));
          st[t].agree += std::max_element(a, a + V) - a == std::max_element(b, b + V) - b;
          const int32_t next = all[w0 + i + 1];
          st[t].nll -= lt[next];
          st[t].base_nll -= lb[next];
        }
      }
    }
    std::printf("model %s\ntext %s\nbase %s, windows of %d tokens\n", model.c_str(), text.c_str(),
                base.c_str(), ctx);
    std::printf("%-6s %9s %11s %11s %11s %8s %8s %8s\n", "kv", "positions", "mean_KL", "p99_KL", "max_KL",
                "top1", "nll", "base_nll");
    for (size_t t = 0; t < tested.size(); ++t) {
      std::vector<double> kl = st[t].kl;
      const double N = static_cast<double>(kl.size());
      double sum = 0;
      for (double x : kl) sum += x;
      std::sort(kl.begin(), kl.end());
      const double p99 = kl[static_cast<size_t>(0.99 * (N - 1))];
      std::printf("%-6s %9zu %11.3e %11.3e %11.3e %7.2f%% %8.4f %8.4f\n", names[t].c_str(), kl.size(),
                  sum / N, p99, kl.back(), 100.0 * static_cast<double>(st[t].agree) / N, st[t].nll / N,
                  st[t].base_nll / N);
    }
  } catch (const InputError& e) {
    std::fprintf(stderr, "lw_kv_quality: %s\n", e.what());
    return 2;
  }
  return 0;
}
