// GGUF vocabularies (tokenizer.ggml.*): "gpt2" -> byte-level BPE with the pre-tokenizer named by
// tokenizer.ggml.pre; "llama" -> SentencePiece (native).
#include "tokenizer/bpe_tokenizer.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/loaders.hpp"
#include "tokenizer/spm_tokenizer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::tok {

namespace {

TokenId id_key(const io::GgufFile& g, const char* key, size_t n_vocab) {
  if (!g.has(key)) return -1;
  int64_t v = g.get_int(key);
  if (v < 0 || static_cast<size_t>(v) >= n_vocab) {
    log::warn("{}: {} = {} is outside the vocabulary; ignored", g.name(), key, v);
    return -1;
  }
  return static_cast<TokenId>(v);
}

std::vector<TokenAttr> read_types(const io::GgufFile& g, size_t n) {
  std::vector<TokenAttr> out(n, TokenAttr::normal);
  if (!g.has("tokenizer.ggml.token_type")) return out;
  auto types = g.get_int_array("tokenizer.ggml.token_type");
  if (types.size() != n) {
    fail_input("{}: tokenizer.ggml.token_type has {} entries for {} tokens", g.name(), types.size(), n);
  }
  for (size_t i = 0; i < n; ++i) out[i] = token_attr_from_int(types[i]);
  return out;
}

std::vector<TokenId> extra_stop_ids(const io::GgufFile& g, size_t n) {
  std::vector<TokenId> out;
  for (const char* k : {"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
    TokenId id = id_key(g, k, n);
    if (id >= 0) out.push_back(id);
  }
  return out;
}

std::unique_ptr<Tokenizer> load_gguf_bpe(const io::GgufFile& g) {
  const auto& tokens = g.get_string_array("tokenizer.ggml.tokens");
  const size_t n = tokens.size();
  if (n == 0) fail_input("{}: tokenizer.ggml.tokens is empty", g.name());
  auto types = read_types(g, n);
  BpeConfig cfg;
  cfg.source = g.name();
  cfg.vocab.resize(n);
  BytesToId text_to_id;
  for (size_t i = 0; i < n; ++i) {
    auto& e = cfg.vocab[i];
    e.text = tokens[i];
    e.attr = types[i];
    if (e.attr == TokenAttr::normal || e.attr == TokenAttr::unknown || e.attr == TokenAttr::unused) {
      auto raw = byte_level_decode(e.text);
      e.bytes = raw ? *raw : e.text;
    } else {
      e.bytes = e.text;  // control and user-defined tokens are stored as literal text
    }
    text_to_id.emplace(e.text, static_cast<TokenId>(i));
  }
  if (g.has("tokenizer.ggml.merges")) {
    const auto& merges = g.get_string_array("tokenizer.ggml.merges");
    cfg.merges.reserve(merges.size());
    for (size_t r = 0; r < merges.size(); ++r) {
      const std::string& m = merges[r];
      size_t sp = m.find(' ', 1);
      if (sp == std::string::npos) {
        fail_input("{}: tokenizer.ggml.merges[{}] '{}' is not 'LEFT RIGHT'", g.name(), r, m);
      }
      auto l = text_to_id.find(std::string_view(m).substr(0, sp));
      auto rr = text_to_id.find(std::string_view(m).substr(sp + 1));
      if (l == text_to_id.end() || rr == text_to_id.end()) continue;  // unreachable merge
      cfg.merges.emplace_back(l->second, rr->second);
    }
  } else {
    fail_input("{}: tokenizer.ggml.merges is missing (a gpt2 vocabulary needs its merges)", g.name());
  }
  std::string pre = g.get_string_opt("tokenizer.ggml.pre").value_or("default");
  cfg.pre = PreTokenizer::for_gguf_pre(pre, g.name());
  cfg.ignore_merges = pre == "llama-bpe" || pre == "llama3" || pre == "dbrx" || pre == "smaug-bpe" ||
                      pre == "chatglm-bpe";
  cfg.add_prefix_space = g.get_bool("tokenizer.ggml.add_space_prefix", false);
  cfg.bos = id_key(g, "tokenizer.ggml.bos_token_id", n);
  cfg.eos = id_key(g, "tokenizer.ggml.eos_token_id", n);
  cfg.pad = id_key(g, "tokenizer.ggml.padding_token_id", n);
  cfg.unk = id_key(g, "tokenizer.ggml.unknown_token_id", n);
  cfg.extra_stops = extra_stop_ids(g, n);
  return std::make_unique<BpeTokenizer>(std::move(cfg));
}

std::unique_ptr<Tokenizer> load_gguf_spm(const io::GgufFile& g) {
  const auto& tokens = g.get_string_array("tokenizer.ggml.tokens");
  const size_t n = tokens.size();
  if (n == 0) fail_input("{}: tokenizer.ggml.tokens is empty", g.name());
  auto types = read_types(g, n);
  std::vector<float> scores(n, 0.0f);
  if (g.has("tokenizer.ggml.scores")) {
    scores = g.get_float_array("tokenizer.ggml.scores");
    if (scores.size() != n) {
      fail_input("{}: tokenizer.ggml.scores has {} entries for {} tokens", g.name(), scores.size(), n);
    }
  }
  SpmConfig cfg;
  cfg.source = g.name();
  cfg.vocab.resize(n);
  for (size_t i = 0; i < n; ++i) cfg.vocab[i] = {tokens[i], scores[i], types[i]};
  cfg.add_space_prefix = g.get_bool("tokenizer.ggml.add_space_prefix", true);
  cfg.bos = id_key(g, "tokenizer.ggml.bos_token_id", n);
  cfg.eos = id_key(g, "tokenizer.ggml.eos_token_id", n);
  cfg.pad = id_key(g, "tokenizer.ggml.padding_token_id", n);
  cfg.unk = id_key(g, "tokenizer.ggml.unknown_token_id", n);
  cfg.extra_stops = extra_stop_ids(g, n);
  return std::make_unique<SpmTokenizer>(std::move(cfg));
}

}  // namespace

std::unique_ptr<Tokenizer> load_gguf_vocab(const io::GgufFile& g) {
  std::string model = g.get_string("tokenizer.ggml.model");
  if (model == "gpt2") return load_gguf_bpe(g);
  if (model == "llama") return load_gguf_spm(g);
  fail_input("{}: tokenizer.ggml.model '{}' is not supported (expected gpt2 or llama)", g.name(), model);
}

}  // namespace lw::tok
