#include "tokenizer/tokenizer.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include "io/file.hpp"
#include "io/gguf.hpp"
#include "text/utf8.hpp"
#include "tokenizer/loaders.hpp"
#include "util/error.hpp"

namespace lw::tok {

Tokenizer::~Tokenizer() = default;

std::string Tokenizer::decode_piece(TokenId id, TokenId /*prev*/) const { return token_bytes(id); }

std::string StreamDecoder::push(TokenId id) {
  pending_ += tok_.decode_piece(id, prev_);
  prev_ = id;
  size_t n = text::complete_prefix_length(pending_);
  std::string out = pending_.substr(0, n);
  pending_.erase(0, n);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = text::sanitize(pending_);
  pending_.clear();
  return out;
}

namespace {

namespace fs = std::filesystem;

std::string read_head(const fs::path& p, size_t n) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) fail_input("{}: cannot open", p.string());
  std::string buf(n, '\0');
  size_t got = std::fread(buf.data(), 1, n, f);
  std::fclose(f);
  buf.resize(got);
  return buf;
}

std::unique_ptr<Tokenizer> load_file(const fs::path& p) {
  std::string head = read_head(p, 4096);
  std::string ext = p.extension().string();
  if (head.rfind("GGUF", 0) == 0 || ext == ".gguf") return load_gguf_vocab(io::GgufFile::open(p));
  if (ext == ".json") return load_hf_json(p);
  if (ext == ".tiktoken" || looks_like_tiktoken(head)) return load_tiktoken(p);
  if (ext == ".model") return load_sentencepiece(p);
  size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && head[first] == '{') return load_hf_json(p);
  fail_input("{}: unknown tokenizer format (expected .gguf, tokenizer.json, .tiktoken or a "
             "SentencePiece .model)", p.string());
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    fs::path json = path / "tokenizer.json", model = path / "tokenizer.model";
    bool has_json = fs::is_regular_file(json, ec), has_model = fs::is_regular_file(model, ec);
    if (has_json && (!has_model || hf_json_is_byte_level(io::read_file(json)))) return load_hf_json(json);
    if (has_model) return load_file(model);
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (e.path().extension() == ".tiktoken") found.push_back(e.path());
    }
    std::sort(found.begin(), found.end());
    if (!found.empty()) return load_tiktoken(found.front());
    fail_input("{}: no tokenizer.json, tokenizer.model or *.tiktoken in this directory", path.string());
  }
  if (!fs::exists(path, ec)) fail_input("{}: no such file or directory", path.string());
  return load_file(path);
}

std::vector<std::vector<TokenId>> encode_batch(const Tokenizer& tok, std::span<const std::string> texts,
                                               bool allow_special, int threads) {
  std::vector<std::vector<TokenId>> out(texts.size());
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), std::max<size_t>(texts.size(), 1)));
  if (threads <= 1) {
    for (size_t i = 0; i < texts.size(); ++i) out[i] = tok.encode(texts[i], allow_special);
    return out;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  auto work = [&] {
    try {
      for (size_t i; !failed && (i = next.fetch_add(1)) < texts.size();) {
        out[i] = tok.encode(texts[i], allow_special);
      }
    } catch (...) {
      if (!failed.exchange(true)) error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  return out;
}

}  // namespace lw::tok
