// Tokenizer encode throughput (MB/s) on >= 10 MB of generated mixed English + Chinese text, on one
// thread and two (encode_batch over 64 KB chunks), for cl100k_base (tiktoken, Llama 3 pattern) and
// the Llama SentencePiece vocabulary; plus the long-piece scaling check (10k vs 100k repetitions of
// one character: equal ns/byte means linear-looking time).
//   ./build/bench/bench_tokenizer
#include <benchmark/benchmark.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace {

namespace fs = std::filesystem;

const std::string& corpus() {
  static const std::string text = [] {
    const std::vector<std::string> en = {
        "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be",
        "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have",
        "an", "had", "they", "you", "were", "their", "one", "all", "we", "can", "her", "has",
        "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "writing",
        "generation", "paragraph", "history", "Roman", "roads", "engineering", "tokenizer",
        "long-context", "model's", "isn't", "10,000", "2024", "outputs"};
    const std::string zh =
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
        "十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相"
        "全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果"
        "料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则"
        "任取据处府研";
    std::vector<std::string> zh_chars;
    for (size_t i = 0; i + 3 <= zh.size(); i += 3) zh_chars.push_back(zh.substr(i, 3));
    std::mt19937 rng(2024);
    std::string out;
    const size_t target = 10u * 1024 * 1024 + 1024;
    out.reserve(target + 4096);
    while (out.size() < target) {
      // An English paragraph, then a Chinese one, then a mixed line.
      for (int s = 0; s < 5; ++s) {
        int n = 8 + static_cast<int>(rng() % 12);
        for (int w = 0; w < n; ++w) {
          std::string word = en[rng() % en.size()];
          if (w == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
          out += word;
          out += w + 1 == n ? ". " : (rng() % 9 == 0 ? ", " : " ");
        }
      }
      out += "\n\n";
      for (int s = 0; s < 4; ++s) {
        int n = 10 + static_cast<int>(rng() % 20);
        for (int c = 0; c < n; ++c) out += zh_chars[rng() % zh_chars.size()];
        out += rng() % 2 ? "，" : "。";
      }
      out += "\n\n";
      out += "混合 text: " + en[rng() % en.size()] + " 和 " + zh_chars[rng() % zh_chars.size()] + " " +
             std::to_string(rng() % 100000) + "\n";
    }
    return out;
  }();
  return text;
}

std::vector<std::string> chunks() {
  const std::string& t = corpus();
  std::vector<std::string> out;
  for (size_t pos = 0; pos < t.size();) {
    size_t end = std::min(t.size(), pos + 64 * 1024);
    size_t nl = t.find('\n', end);
    end = nl == std::string::npos ? t.size() : nl + 1;
    out.push_back(t.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

const lw::tok::Tokenizer* tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<lw::tok::Tokenizer>> cache;
  auto& t = cache[name];
  if (!t) t = lw::tok::load_tokenizer(fs::path(LW_SHARED_DIR) / "data/vocab" / name);
  return t.get();
}

void encode_corpus(benchmark::State& state, const std::string& name) {
  const auto* tok = tokenizer(name);
  static const std::vector<std::string> parts = chunks();
  const int threads = static_cast<int>(state.range(0));
  size_t n_tokens = 0;
  for (auto _ : state) {
    auto ids = lw::tok::encode_batch(*tok, parts, false, threads);
    n_tokens = 0;
    for (const auto& v : ids) n_tokens += v.size();
    benchmark::DoNotOptimize(ids);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().size()));
  state.counters["MB"] = static_cast<double>(corpus().size()) / 1e6;
  state.counters["bytes/token"] = static_cast<double>(corpus().size()) / static_cast<double>(n_tokens);
}

void BM_EncodeCl100k(benchmark::State& state) { encode_corpus(state, "cl100k_base.tiktoken"); }
void BM_EncodeLlamaSpm(benchmark::State& state) { encode_corpus(state, "ggml-vocab-llama-spm.gguf"); }
BENCHMARK(BM_EncodeCl100k)->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EncodeLlamaSpm)->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// One long piece: time per byte should not grow with length (heap merge, O(n log n)).
void BM_RepeatedChar(benchmark::State& state) {
  const auto* tok = tokenizer("cl100k_base.tiktoken");
  std::string s;
  for (int64_t i = 0; i < state.range(0); ++i) s += "a";
  for (auto _ : state) benchmark::DoNotOptimize(tok->encode(s));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_RepeatedChar)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
