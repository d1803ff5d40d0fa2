// longwriter tokenize --tokenizer PATH [--decode] [--special] [--info] [--bench FILE]
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <thread>

#include "common/registry.hpp"
#include "io/file.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"

namespace {

struct Options {
  std::string tokenizer;
  bool decode = false;
  bool special = false;
  bool info = false;
  std::string bench;
  int threads = 0;
};

// Splits text into chunks of about `target` bytes at newline boundaries.
std::vector<std::string> chunk_text(const std::string& text, size_t target) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = std::min(text.size(), pos + target);
    if (end < text.size()) {
      size_t nl = text.find('\n', end);
      end = nl == std::string::npos ? text.size() : nl + 1;
    }
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

int run_bench(const lw::tok::Tokenizer& tok, const Options& o) {
  std::string text = lw::io::read_file(o.bench);
  auto chunks = chunk_text(text, 64 * 1024);
  int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  double mb = static_cast<double>(text.size()) / 1e6;
  size_t n_tokens = 0;
  std::vector<int> counts = {1};
  if (threads > 1) counts.push_back(threads);
  for (int t : counts) {
    auto t0 = std::chrono::steady_clock::now();
    auto ids = lw::tok::encode_batch(tok, chunks, o.special, t);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    n_tokens = 0;
    for (const auto& v : ids) n_tokens += v.size();
    std::printf("threads=%d  %.2f MB in %.3f s  %.2f MB/s  %.0f tokens/s\n", t, mb, s, mb / s,
                static_cast<double>(n_tokens) / s);
  }
  std::printf("tokens=%zu  bytes/token=%.3f\n", n_tokens,
              n_tokens ? static_cast<double>(text.size()) / static_cast<double>(n_tokens) : 0.0);
  return 0;
}

const bool registered = lw::apps::register_command("tokenize", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "tokenize",
      "Encode text from stdin with a tokenizer and print the ids separated by spaces (or, with\n"
      "--decode, read ids from stdin and print the text). PATH is a .tiktoken rank file, an HF\n"
      "tokenizer.json, a SentencePiece .model, a .gguf file (its tokenizer.ggml.* vocabulary) or a\n"
      "model directory holding one of those. No BOS is added.\n"
      "Examples:\n"
      "  echo -n 'hello world' | longwriter tokenize --tokenizer cl100k_base.tiktoken\n"
      "  echo '15339 1917' | longwriter tokenize --tokenizer cl100k_base.tiktoken --decode\n"
      "  longwriter tokenize --tokenizer model_dir --bench corpus.txt --threads 2");
  cmd->add_option("--tokenizer,-t", o->tokenizer, "Tokenizer file or model directory")->required();
  cmd->add_flag("--decode,-d", o->decode, "Read whitespace-separated ids from stdin and print their text");
  cmd->add_flag("--special", o->special,
                "Match special tokens (<|eot_id|>, [gMASK], <s>, ...) written in the text; by default "
                "their text is encoded as ordinary text");
  cmd->add_flag("--info", o->info, "Print the tokenizer's kind, vocabulary size, BOS/EOS/PAD, stop ids and fingerprint");
  cmd->add_option("--bench", o->bench,
                  "Encode FILE in 64 KB chunks on 1 thread and on --threads threads and print MB/s");
  cmd->add_option("--threads", o->threads, "Threads for --bench (default: all cores)")->check(CLI::NonNegativeNumber);
  lw::apps::set_action(cmd, [o] {
    auto tok = lw::tok::load_tokenizer(o->tokenizer);
    if (o->info) {
      std::printf("kind: %s\nvocab_size: %d\nbos: %d\neos: %d\npad: %d\nstop_ids:", tok->kind().c_str(),
                  tok->vocab_size(), tok->bos_id(), tok->eos_id(), tok->pad_id());
      for (auto id : tok->stop_ids()) std::printf(" %d", id);
      std::printf("\nfingerprint: %s\n", tok->fingerprint().c_str());
      return 0;
    }
    if (!o->bench.empty()) return run_bench(*tok, *o);
    std::string in = lw::io::read_stdin();
    if (o->decode) {
      std::vector<lw::tok::TokenId> ids;
      std::istringstream ss(in);
      std::string word;
      while (ss >> word) {
        size_t used = 0;
        long long v = 0;
        try {
          v = std::stoll(word, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != word.size() || v < 0 || v > INT32_MAX) {
          lw::fail_input("stdin: '{}' is not a token id (expected non-negative integers)", word);
        }
        ids.push_back(static_cast<lw::tok::TokenId>(v));
      }
      std::string text = tok->decode(ids);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
    auto ids = tok->encode(in, o->special);
    std::string out;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i) out += ' ';
      out += std::to_string(ids[i]);
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  });
});

}  // namespace
