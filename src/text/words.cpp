#include "text/words.hpp"

#include <algorithm>
#include <memory>
#include <string>

#include "text/regex.hpp"
#include "text/utf8.hpp"
#include "util/error.hpp"

namespace lw::text {
namespace {

// Compiled once; PCRE2 with UTF + UCP gives \b the Unicode meaning (\w = \p{L}, \p{N}, '_'),
// which matches Python's str.isalnum()-based word characters for all practical text.
int64_t count_ascii_words(const std::string& s) {
  static const Regex re("\\b[a-zA-Z]+\\b", RegexOptions{false, "word counter"});
  int64_t n = 0;
  size_t start = 0, b = 0, e = 0;
  while (start <= s.size() && re.find(s, start, b, e)) {
    ++n;
    start = e;  // matches are non-empty, so this always advances
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
