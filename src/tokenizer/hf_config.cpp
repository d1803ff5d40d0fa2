#include <nlohmann/json.hpp>

#include "io/file.hpp"
#include "io/json_read.hpp"
#include "tokenizer/loaders.hpp"
#include "util/error.hpp"

namespace lw::tok {

namespace {

std::optional<std::string> token_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    return (*it)["content"].get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

namespace {

HfTokenizerConfig parse_config(std::string_view text, const std::string& name) {
  nlohmann::json j = io::parse_json(text, name);
  if (!j.is_object()) fail_input("{}: not a JSON object", name);
  HfTokenizerConfig c;
  c.bos = token_field(j, "bos_token");
  c.eos = token_field(j, "eos_token");
  c.pad = token_field(j, "pad_token");
  auto it = j.find("added_tokens_decoder");
  if (it != j.end() && it->is_object()) {
    for (const auto& [key, v] : it->items()) {
      TokenId id = -1;
      try {
        size_t used = 0;
        long long x = std::stoll(key, &used);
        if (used != key.size() || x < 0 || x > (1 << 24)) throw std::invalid_argument(key);
        id = static_cast<TokenId>(x);
      } catch (const std::exception&) {
        fail_input("{}: added_tokens_decoder key '{}' is not a token id", name, key);
      }
      if (!v.is_object() || !v.contains("content") || !v["content"].is_string()) {
        fail_input("{}: added_tokens_decoder[{}]: expected an object with a string 'content'", name, key);
      }
      HfTokenizerConfig::Added a;
      a.content = v["content"].get<std::string>();
      a.special = v.value("special", true);
      c.added[id] = a;
    }
  }
  return c;
}

}  // namespace

HfTokenizerConfig parse_hf_tokenizer_config(std::string_view text, const std::string& name) {
  return io::with_json_errors(name, [&] { return parse_config(text, name); });
}

std::optional<HfTokenizerConfig> read_hf_tokenizer_config(const std::filesystem::path& dir) {
  auto p = dir / "tokenizer_config.json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
  return parse_hf_tokenizer_config(io::read_file(p), p.string());
}

}  // namespace lw::tok
