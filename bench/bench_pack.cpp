// Tokenize + pack throughput (sequences/s, MB/s of JSONL input) with the cl100k tokenizer plus
// Llama 3 specials, the llama3-longwriter format and L = 32768, on a synthetic LongWriter-like mix.
// Baseline measured in the same run: encoding the same texts alone on one thread (BM_EncodeOnly);
// compare BM_Pack/threads:2 against it as a ratio. BM_Plan shows the planners on 200k lengths.
//   ./build/bench_pack --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "data/packer.hpp"
#include "data/planner.hpp"
#include "data/synthetic.hpp"
#include "tokenizer/chat_format.hpp"
#include "tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir;
  fs::path corpus;
  std::unique_ptr<lw::tok::Tokenizer> tok;
  std::vector<std::string> texts;  // every message text, for the encode-only baseline
  int64_t n_records = 0;
  int64_t bytes = 0;

  Fixture() {
    dir = fs::temp_directory_path() / fmt::format("lw_bench_pack_{}", ::getpid());
    fs::create_directories(dir);
    nlohmann::json added = nlohmann::json::object();
    const char* specials[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                              "<|eot_id|>"};
    for (int i = 0; i < 5; ++i) added[std::to_string(128000 + i)] = {{"content", specials[i]}, {"special", true}};
    std::ofstream(dir / "tokenizer_config.json")
        << nlohmann::json{{"added_tokens_decoder", added}, {"bos_token", "<|begin_of_text|>"}, {"eos_token", "<|end_of_text|>"}}.dump();
    fs::create_symlink(fs::path(LW_SHARED_DIR) / "data" / "vocab" / "cl100k_base.tiktoken", dir / "cl100k_base.tiktoken");
    tok = lw::tok::load_tokenizer(dir);

    // Words of 1-3 tokens; a reply of n tokens is about 0.8 n words.
    const char* words[] = {"the", "road", "ran", "north", "through", "hills", "and", "valleys,", "past",
                           "villages", "where", "merchants", "traded", "salt", "wine", "and", "stories.",
                           "Engineers", "measured", "every", "mile", "with", "care;", "soldiers", "marched",
                           "in", "columns", "toward", "distant", "frontiers", "长城", "历史"};
    const size_t n_words = sizeof(words) / sizeof(words[0]);
    auto lengths = lw::data::longwriter_length_mix(240, 32768, 5);
    corpus = dir / "corpus.jsonl";
    std::ofstream out(corpus);
    uint64_t state = 1;
    auto next = [&] { return state = state * 6364136223846793005ULL + 1442695040888963407ULL; };
    for (uint32_t len : lengths) {
      std::string reply;
      for (uint32_t w = 0; w < len * 8 / 10; ++w) {
        reply += words[(next() >> 33) % n_words];
        reply += ' ';
      }
      std::string prompt = "Write about Roman roads in " + std::to_string(len) + " tokens.";
      texts.push_back(prompt);
      texts.push_back(reply);
      std::string line = nlohmann::json{{"messages", {{{"role", "user"}, {"content", prompt}},
                                                      {{"role", "assistant"}, {"content", reply}}}}}.dump();
      out << line << '\n';
      bytes += static_cast<int64_t>(line.size()) + 1;
      ++n_records;
    }
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_EncodeOnly(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    for (const auto& t : f.texts) benchmark::DoNotOptimize(f.tok->encode(t));
  }
  state.SetBytesProcessed(state.iterations() * f.bytes);
  state.counters["seq/s"] = benchmark::Counter(static_cast<double>(f.n_records), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EncodeOnly)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_Pack(benchmark::State& state) {
  Fixture& f = fixture();
  lw::tok::ChatFormat format = lw::tok::ChatFormat::by_name("llama3-longwriter", *f.tok);
  lw::data::PackOptions o;
  o.inputs = {f.corpus};
  o.out = f.dir / "pack";
  o.max_len = 32768;
  o.strategy = lw::data::Strategy::bfd;
  o.threads = static_cast<int>(state.range(0));
  o.write_reference = state.range(1) != 0;
  o.progress = false;
  double eff = 0;
  for (auto _ : state) eff = lw::data::pack_files(o, *f.tok, format).efficiency();
  state.SetBytesProcessed(state.iterations() * f.bytes);
  state.counters["seq/s"] = benchmark::Counter(static_cast<double>(f.n_records), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["efficiency"] = eff;
}
BENCHMARK(BM_Pack)->ArgNames({"threads", "reference"})->Args({1, 1})->Args({2, 1})->Args({2, 0})
    ->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_Plan(benchmark::State& state) {
  auto lengths = lw::data::longwriter_length_mix(200000, 32768, 1);
  auto strategy = state.range(0) == 0 ? lw::data::Strategy::nextfit : lw::data::Strategy::bfd;
  double eff = 0;
  for (auto _ : state) {
    auto bins = lw::data::plan(strategy, lengths, 32768, 0);
    eff = lw::data::plan_efficiency(bins, lengths, 32768);
  }
  state.counters["efficiency"] = eff;
  state.counters["seq/s"] = benchmark::Counter(200000.0, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Plan)->ArgName("bfd")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
