#include "tokenizer/pretokenizer.hpp"

#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::tok {

namespace patterns {
const char* const kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
}  // namespace patterns

void PreTokenizer::add_split(const std::string& pattern) {
  steps_.push_back(std::make_shared<const text::Regex>(pattern, text::RegexOptions{false, "pre-tokenizer"}));
}

std::vector<std::string> PreTokenizer::patterns() const {
  std::vector<std::string> out;
  for (const auto& s : steps_) out.push_back(s->pattern());
  return out;
}

void PreTokenizer::split(std::string_view text, std::vector<Piece>& out) const {
  out.clear();
  if (text.empty()) return;
  out.emplace_back(0, text.size());
  std::vector<Piece> next;
  for (const auto& re : steps_) {
    next.clear();
    for (const auto& [b, e] : out) {
      std::string_view sub = text.substr(b, e - b);
      size_t pos = 0, gap = 0;
      while (pos < sub.size()) {
        size_t mb, me;
        if (!re->find(sub, pos, mb, me)) break;
        if (me == mb) {  // empty match: step over one byte
          pos = mb + 1;
          continue;
        }
        if (mb > gap) next.emplace_back(b + gap, b + mb);
        next.emplace_back(b + mb, b + me);
        pos = gap = me;
      }
      if (gap < sub.size()) next.emplace_back(b + gap, e);
    }
    out.swap(next);
  }
}

namespace {

struct PreSpec {
  const char* name;
  std::vector<const char*> steps;
};

const std::vector<PreSpec>& pre_specs() {
  static const std::vector<PreSpec> specs = {
      {"gpt-2", {patterns::kGpt2}},
      {"mpt", {patterns::kGpt2}},
      {"olmo", {patterns::kGpt2}},
      {"jais", {patterns::kGpt2}},
      {"llama-bpe", {patterns::kLlama3}},
      {"llama3", {patterns::kLlama3}},
      {"dbrx", {patterns::kLlama3}},
      {"smaug-bpe", {patterns::kLlama3}},
      {"chatglm-bpe", {patterns::kLlama3}},
      {"qwen2", {patterns::kQwen2}},
      {"stablelm2", {patterns::kQwen2}},
      {"deepseek-coder",
       {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", R"([一-龥ࠀ-一가-퟿]+)", R"(\p{N})"}},
      {"deepseek-llm",
       {R"([\r\n])", R"(\s?\p{L&}+)", R"(\s?[!-/:-~！-／：-～‘-‟　-。]+)", R"(\s+$)",
        R"([一-龥ࠀ-一가-퟿]+)", R"(\p{N}+)"}},
      {"falcon", {R"([\p{P}\$\+<=>\^~\|`]+)", patterns::kGpt2, R"([0-9][0-9][0-9])"}},
      {"starcoder", {R"(\p{N})", patterns::kGpt2}},
      {"refact", {R"(\p{N})", patterns::kGpt2}},
      {"command-r", {R"(\p{N})", patterns::kGpt2}},
      {"smollm", {R"(\p{N})", patterns::kGpt2}},
      {"codeshell", {R"(\p{N})", patterns::kGpt2}},
      {"default", {R"([\p{P}\$\+<=>\^~\|]+)", patterns::kGpt2, R"(\p{N}+)", R"([0-9][0-9][0-9])"}},
  };
  return specs;
}

}  // namespace

std::vector<std::string> PreTokenizer::gguf_pre_names() {
  std::vector<std::string> out;
  for (const auto& s : pre_specs()) out.emplace_back(s.name);
  return out;
}

PreTokenizer PreTokenizer::for_gguf_pre(const std::string& name, const std::string& file) {
  for (const auto& s : pre_specs()) {
    if (name == s.name) {
      PreTokenizer p;
      for (const char* pat : s.steps) p.add_split(pat);
      return p;
    }
  }
  std::string names;
  for (const auto& n : gguf_pre_names()) names += (names.empty() ? "" : ", ") + n;
  fail_input("{}: tokenizer.ggml.pre '{}' is not supported (supported: {})", file, name, names);
}

}  // namespace lw::tok
