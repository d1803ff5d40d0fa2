#include "text/words.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <memory>
#include <string>

#include "text/utf8.hpp"
#include "util/error.hpp"

namespace lw::text {
namespace {

// Compiled once; PCRE2 with UTF + UCP gives \b the Unicode meaning (\w = \p{L}, \p{N}, '_'),
// which matches Python's str.isalnum()-based word characters for all practical text.
struct WordRegex {
  pcre2_code* code = nullptr;
  WordRegex() {
    int err = 0;
    PCRE2_SIZE off = 0;
    const char* pat = "\\b[a-zA-Z]+\\b";
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pat), PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &off, nullptr);
    LW_CHECK(code != nullptr, "word regex failed to compile");
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is absent
  }
  ~WordRegex() { pcre2_code_free(code); }
};

const WordRegex& word_regex() {
  static const WordRegex re;
  return re;
}

int64_t count_ascii_words(const std::string& s) {
  const auto& re = word_regex();
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
      pcre2_match_data_create_from_pattern(re.code, nullptr), &pcre2_match_data_free);
  int64_t n = 0;
  PCRE2_SIZE start = 0;
  auto subject = reinterpret_cast<PCRE2_SPTR>(s.data());
  while (start <= s.size()) {
    int rc = pcre2_match(re.code, subject, s.size(), start, PCRE2_NO_UTF_CHECK, md.get(), nullptr);
    if (rc < 0) break;
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    ++n;
    start = ov[1];  // matches are non-empty, so this always advances
  }
  return n;
}

}  // namespace

int64_t count_words(std::string_view text) {
  std::string s = sanitize(text);
  int64_t cjk = 0;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = decode_one(s, i);
    if (cp >= 0x4E00 && cp <= 0x9FFF) ++cjk;
  }
  return cjk + count_ascii_words(s);
}

double length_score(double required, double produced) {
  if (!(required > 0)) fail_input("length score: required length must be positive, got {}", required);
  if (produced <= 0) return 0.0;
  if (produced > required) return 100.0 * std::max(0.0, 1.0 - (produced / required - 1.0) / 3.0);
  return 100.0 * std::max(0.0, 1.0 - (required / produced - 1.0) / 2.0);
}

}  // namespace lw::text
