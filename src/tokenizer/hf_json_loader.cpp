// HF tokenizer.json with a byte-level BPE model: model.vocab / model.merges (strings "a b" or
// pairs), added_tokens, and pre_tokenizer ByteLevel / Split(Isolated) / Digits / Sequence.
#include <nlohmann/json.hpp>

#include "io/file.hpp"
#include "io/json_read.hpp"
#include "tokenizer/bpe_tokenizer.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/loaders.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::tok {

namespace {

using nlohmann::json;

std::string quote_regex(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Adds the steps of one HF pre-tokenizer; returns true if it contains a ByteLevel step.
bool add_pre(const json& p, PreTokenizer& pre, bool& add_prefix_space, const std::string& name) {
  if (p.is_null()) return false;
  if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) {
    fail_input("{}: pre_tokenizer: expected an object with a 'type'", name);
  }
  std::string type = p["type"].get<std::string>();
  if (type == "Sequence") {
    bool bl = false;
    if (!p.contains("pretokenizers") || !p["pretokenizers"].is_array()) {
      fail_input("{}: pre_tokenizer Sequence: expected 'pretokenizers' array", name);
    }
    for (const auto& q : p["pretokenizers"]) bl |= add_pre(q, pre, add_prefix_space, name);
    return bl;
  }
  if (type == "ByteLevel") {
    add_prefix_space = p.value("add_prefix_space", true);
    if (p.value("use_regex", true)) pre.add_split(patterns::kGpt2);
    return true;
  }
  if (type == "Split") {
    std::string behavior = p.value("behavior", std::string("Isolated"));
    if (behavior != "Isolated") {
      fail_input("{}: pre_tokenizer Split behavior '{}' is not supported (only Isolated)", name, behavior);
    }
    if (p.value("invert", false)) fail_input("{}: pre_tokenizer Split with invert is not supported", name);
    const json& pat = p.value("pattern", json::object());
    if (pat.contains("Regex") && pat["Regex"].is_string()) {
      pre.add_split(pat["Regex"].get<std::string>());
    } else if (pat.contains("String") && pat["String"].is_string()) {
      pre.add_split(quote_regex(pat["String"].get<std::string>()));
    } else {
      fail_input("{}: pre_tokenizer Split: expected pattern {{\"Regex\": ...}} or {{\"String\": ...}}", name);
    }
    return false;
  }
  if (type == "Digits") {
    pre.add_split(p.value("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)");
    return false;
  }
  fail_input("{}: pre_tokenizer type '{}' is not supported", name, type);
}

bool decoder_is_byte_level(const json& d) {
  if (!d.is_object()) return false;
  std::string type = d.value("type", std::string());
  if (type == "ByteLevel") return true;
  if (type == "Sequence" && d.contains("decoders") && d["decoders"].is_array()) {
    for (const auto& x : d["decoders"]) {
      if (decoder_is_byte_level(x)) return true;
    }
  }
  return false;
}

json parse_json(std::string_view text, const std::string& name) {
  json j = io::parse_json(text, name);
  if (!j.is_object()) fail_input("{}: expected a JSON object", name);
  return j;
}

}  // namespace

bool hf_json_is_byte_level(std::string_view text) {
  if (io::json_depth(text, io::kMaxJsonDepth) > io::kMaxJsonDepth) return false;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  if (decoder_is_byte_level(j.value("decoder", json()))) return true;
  PreTokenizer pre;
  bool aps = false;
  try {
    return add_pre(j.value("pre_tokenizer", json()), pre, aps, "");
  } catch (const Error&) {
    return false;
  } catch (const json::exception&) {
    return false;
  }
}

namespace {
std::unique_ptr<Tokenizer> load_hf_json_impl(std::string_view text, const std::string& name,
                                             const HfTokenizerConfig* config) {
  json j = parse_json(text, name);
  if (!j.contains("model") || !j["model"].is_object()) fail_input("{}: 'model' object is missing", name);
  const json& model = j["model"];
  std::string type = model.value("type", std::string("BPE"));
  if (type != "BPE") fail_input("{}: model type '{}' is not supported (expected BPE)", name, type);
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    fail_input("{}: model.vocab: expected an object of token -> id", name);
  }
  BpeConfig cfg;
  cfg.source = name;
  bool byte_level = add_pre(j.value("pre_tokenizer", json()), cfg.pre, cfg.add_prefix_space, name);
  byte_level |= decoder_is_byte_level(j.value("decoder", json()));
  if (!byte_level) {
    fail_input("{}: not a byte-level BPE tokenizer.json (no ByteLevel pre-tokenizer or decoder); "
               "for SentencePiece models load tokenizer.model", name);
  }
  const json& norm = j.value("normalizer", json());
  if (!norm.is_null()) {
    log::warn("{}: normalizer '{}' is not applied (input is assumed already normalized)", name,
              norm.value("type", std::string("?")));
  }
  cfg.ignore_merges = model.value("ignore_merges", false);

  const json& vocab = model["vocab"];
  const json& added = j.value("added_tokens", json::array());
  if (!added.is_array()) fail_input("{}: added_tokens: expected an array", name);
  const size_t n_entries = vocab.size() + added.size();
  auto check_id = [&](int64_t id, const std::string& where) {
    if (id < 0 || static_cast<uint64_t>(id) >= n_entries * 2 + 1024) {
      fail_input("{}: {}: id {} is out of range for {} entries", name, where, id, n_entries);
    }
    return static_cast<TokenId>(id);
  };
  for (const auto& [tok, idv] : vocab.items()) {
    if (!idv.is_number_integer()) fail_input("{}: model.vocab['{}']: expected an integer id", name, tok);
    TokenId id = check_id(idv.get<int64_t>(), "model.vocab");
    if (static_cast<size_t>(id) >= cfg.vocab.size()) {
      cfg.vocab.resize(static_cast<size_t>(id) + 1, BpeVocabEntry{"", "", TokenAttr::unused});
    }
    auto& e = cfg.vocab[static_cast<size_t>(id)];
    e.text = tok;
    auto raw = byte_level_decode(tok);
    e.bytes = raw ? *raw : tok;
    e.attr = TokenAttr::normal;
  }
  for (const auto& a : added) {
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
        !a["content"].is_string()) {
      fail_input("{}: added_tokens: expected objects with integer 'id' and string 'content'", name);
    }
    TokenId id = check_id(a["id"].get<int64_t>(), "added_tokens");
    if (static_cast<size_t>(id) >= cfg.vocab.size()) {
      cfg.vocab.resize(static_cast<size_t>(id) + 1, BpeVocabEntry{"", "", TokenAttr::unused});
    }
    auto& e = cfg.vocab[static_cast<size_t>(id)];
    e.text = e.bytes = a["content"].get<std::string>();
    e.attr = a.value("special", false) ? TokenAttr::control : TokenAttr::user_defined;
  }
  if (config) {
    for (const auto& [id, a] : config->added) {
      if (id >= 0 && static_cast<size_t>(id) < cfg.vocab.size() && cfg.vocab[static_cast<size_t>(id)].text == a.content) {
        cfg.vocab[static_cast<size_t>(id)].attr = a.special ? TokenAttr::control : TokenAttr::user_defined;
      }
    }
  }
  BytesToId text_to_id;
  for (size_t i = 0; i < cfg.vocab.size(); ++i) {
    if (cfg.vocab[i].attr == TokenAttr::normal) text_to_id.emplace(cfg.vocab[i].text, static_cast<TokenId>(i));
  }
  const json& merges = model.value("merges", json::array());
  if (!merges.is_array()) fail_input("{}: model.merges: expected an array", name);
  size_t r = 0;
  for (const auto& m : merges) {
    std::string left, right;
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      size_t sp = s.find(' ', 1);
      if (sp == std::string::npos) fail_input("{}: model.merges[{}] '{}' is not 'LEFT RIGHT'", name, r, s);
      left = s.substr(0, sp);
      right = s.substr(sp + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      fail_input("{}: model.merges[{}]: expected \"LEFT RIGHT\" or [LEFT, RIGHT]", name, r);
    }
    ++r;
    auto l = text_to_id.find(left), rr = text_to_id.find(right);
    if (l == text_to_id.end() || rr == text_to_id.end()) continue;
    cfg.merges.emplace_back(l->second, rr->second);
  }
  auto find_special = [&](const std::optional<std::string>& want, std::initializer_list<const char*> fallback) {
    auto lookup = [&](std::string_view t) -> TokenId {
      for (size_t i = 0; i < cfg.vocab.size(); ++i) {
        if (cfg.vocab[i].attr != TokenAttr::normal && cfg.vocab[i].text == t) return static_cast<TokenId>(i);
      }
      auto it = text_to_id.find(t);
      return it == text_to_id.end() ? -1 : it->second;
    };
    if (want) return lookup(*want);
    for (const char* f : fallback) {
      TokenId id = lookup(f);
      if (id >= 0) return id;
    }
    return TokenId{-1};
  };
  cfg.bos = find_special(config ? config->bos : std::nullopt, {"<|begin_of_text|>", "<s>", "<|startoftext|>"});
  cfg.eos = find_special(config ? config->eos : std::nullopt,
                         {"<|end_of_text|>", "<|endoftext|>", "</s>", "<|im_end|>", "<eos>"});
  cfg.pad = config && config->pad ? find_special(config->pad, {}) : TokenId{-1};
  return std::make_unique<BpeTokenizer>(std::move(cfg));
}
}  // namespace

std::unique_ptr<Tokenizer> load_hf_json_text(std::string_view text, const std::string& name,
                                             const HfTokenizerConfig* config) {
  return io::with_json_errors(name, [&] { return load_hf_json_impl(text, name, config); });
}

std::unique_ptr<Tokenizer> load_hf_json(const std::filesystem::path& path) {
  auto config = read_hf_tokenizer_config(path.parent_path().empty() ? "." : path.parent_path());
  return load_hf_json_text(io::read_file(path), path.string(), config ? &*config : nullptr);
}

}  // namespace lw::tok
