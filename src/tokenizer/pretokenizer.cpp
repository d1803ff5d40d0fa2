#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenizer.hpp"

#include <pcre2.h>

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

namespace {

// Per-thread matching state shared by all patterns: match data and a JIT stack large enough for
// long runs (100,000 repeated characters).
struct ThreadState {
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mc = nullptr;
  pcre2_jit_stack* js = nullptr;
  ThreadState() {
    md = pcre2_match_data_create(16, nullptr);
    mc = pcre2_match_context_create(nullptr);
    js = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    if (mc && js) pcre2_jit_stack_assign(mc, nullptr, js);
  }
  ~ThreadState() {
    if (js) pcre2_jit_stack_free(js);
    if (mc) pcre2_match_context_free(mc);
    if (md) pcre2_match_data_free(md);
  }
};

ThreadState& thread_state() {
  thread_local ThreadState st;
  return st;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof(buf));
  return reinterpret_cast<const char*>(buf);
}

}  // namespace

Regex::Regex(std::string pattern) : pattern_(std::move(pattern)) {
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &off, nullptr);
  if (!code) {
    fail_input("pre-tokenizer regex /{}/ does not compile at offset {}: {}", pattern_, off,
               pcre2_message(err));
  }
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  code_ = code;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

bool Regex::find(std::string_view subject, size_t start, size_t& mb, size_t& me) const {
  ThreadState& st = thread_state();
  auto* code = static_cast<pcre2_code*>(code_);
  auto subj = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = pcre2_match(code, subj, subject.size(), start, 0, st.md, st.mc);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
    rc = pcre2_match(code, subj, subject.size(), start, PCRE2_NO_JIT, st.md, nullptr);
  }
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    // A resource limit on pathological input: leave the rest of the piece unsplit.
    log::warn("pre-tokenizer regex failed ({}); keeping {} bytes as one piece", pcre2_message(rc),
              subject.size() - start);
    return false;
  }
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.md);
  mb = ov[0];
  me = ov[1];
  return true;
}

void PreTokenizer::add_split(const std::string& pattern) {
  steps_.push_back(std::make_shared<const Regex>(pattern));
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
