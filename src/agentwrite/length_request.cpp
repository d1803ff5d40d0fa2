#include "agentwrite/length_request.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "text/utf8.hpp"

namespace lw::agentwrite {
namespace {

bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool is_ascii_letter(char32_t c) { return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z'); }
char32_t lower(char32_t c) { return (c >= U'A' && c <= U'Z') ? c + 32 : c; }

int chinese_digit(char32_t c) {
  switch (c) {
    case U'零': case U'〇': return 0;
    case U'一': return 1;
    case U'二': case U'两': return 2;
    case U'三': return 3;
    case U'四': return 4;
    case U'五': return 5;
    case U'六': return 6;
    case U'七': return 7;
    case U'八': return 8;
    case U'九': return 9;
    default: return -1;
  }
}
int64_t chinese_unit(char32_t c) {
  switch (c) {
    case U'十': return 10;
    case U'百': return 100;
    case U'千': return 1000;
    case U'万': return 10000;
    case U'亿': return 100000000;
    default: return 0;
  }
}
bool is_chinese_numeral(char32_t c) { return chinese_digit(c) >= 0 || chinese_unit(c) > 0; }

// Text as code points with the byte offset of each (plus one past the end).
struct Decoded {
  std::u32string cps;
  std::vector<size_t> offs;
};
Decoded decode_with_offsets(std::string_view s) {
  Decoded d;
  size_t i = 0;
  while (i < s.size()) {
    d.offs.push_back(i);
    d.cps.push_back(text::decode_one(s, i));
  }
  d.offs.push_back(s.size());
  return d;
}

// Case-insensitive ASCII word at position i followed by a non-letter.
bool word_at(const std::u32string& t, size_t i, std::u32string_view w) {
  if (i + w.size() > t.size()) return false;
  for (size_t k = 0; k < w.size(); ++k)
    if (lower(t[i + k]) != w[k]) return false;
  return i + w.size() == t.size() || !is_ascii_letter(t[i + w.size()]);
}
size_t skip_spaces(const std::u32string& t, size_t i) {
  while (i < t.size() && (t[i] == U' ' || t[i] == U'\t' || t[i] == U'\u00A0' || t[i] == U'\u3000')) ++i;
  return i;
}

struct EnglishNumberWord {
  std::u32string_view word;
  int64_t value;  // < 0: multiplier (-100 hundred, -1000 thousand)
};
constexpr EnglishNumberWord kEnglish[] = {
    {U"one", 1},       {U"two", 2},        {U"three", 3},     {U"four", 4},       {U"five", 5},
    {U"six", 6},       {U"seven", 7},      {U"eight", 8},     {U"nine", 9},       {U"ten", 10},
    {U"eleven", 11},   {U"twelve", 12},    {U"thirteen", 13}, {U"fourteen", 14},  {U"fifteen", 15},
    {U"sixteen", 16},  {U"seventeen", 17}, {U"eighteen", 18}, {U"nineteen", 19},  {U"twenty", 20},
    {U"thirty", 30},   {U"forty", 40},     {U"fifty", 50},    {U"sixty", 60},     {U"seventy", 70},
    {U"eighty", 80},   {U"ninety", 90},    {U"hundred", -100}, {U"thousand", -1000},
};

// A spelled English number ("ten thousand", "two-thousand five hundred") at i; returns the value and
// sets end, or -1.
int64_t parse_english_number(const std::u32string& t, size_t i, size_t& end) {
  if (i > 0 && is_ascii_letter(t[i - 1])) return -1;
  int64_t total = 0, current = 0;
  bool any = false;
  size_t pos = i, last_end = i;
  for (;;) {
    bool matched = false;
    for (const auto& w : kEnglish) {
      if (!word_at(t, pos, w.word)) continue;
      if (w.value > 0) {
        current += w.value;
      } else if (w.value == -100) {
        current = (current == 0 ? 1 : current) * 100;
      } else {
        total += (current == 0 ? 1 : current) * 1000;
        current = 0;
      }
      pos += w.word.size();
      last_end = pos;
      matched = any = true;
      break;
    }
    if (!matched) break;
    size_t p = pos;
    if (p < t.size() && (t[p] == U' ' || t[p] == U'-')) ++p;
    if (word_at(t, p, U"and")) p = skip_spaces(t, p + 3);
    pos = p;
  }
  if (!any) return -1;
  end = last_end;
  return total + current;
}

// A number written with digits and/or Chinese numerals at i ("5,000", "1.5", "一万", "3万", "10k",
// "5 thousand"); returns its value and sets end, or -1.
double parse_number_at(const std::u32string& t, size_t i, size_t& end) {
  size_t p = i;
  std::u32string tok;
  if (is_digit(t[p])) {
    if (p > 0 && (is_ascii_letter(t[p - 1]) || t[p - 1] == U'.')) return -1;
    while (p < t.size()) {
      if (is_digit(t[p])) {
        tok += t[p++];
      } else if (t[p] == U',' && p + 3 < t.size() && is_digit(t[p + 1]) && is_digit(t[p + 2]) &&
                 is_digit(t[p + 3]) && (p + 4 >= t.size() || !is_digit(t[p + 4]))) {
        ++p;  // thousands separator
      } else if (t[p] == U'.' && p + 1 < t.size() && is_digit(t[p + 1])) {
        tok += t[p++];
      } else {
        break;
      }
    }
  }
  while (p < t.size() && is_chinese_numeral(t[p])) tok += t[p++];
  if (tok.empty()) return -1;
  double value;
  bool all_ascii = std::all_of(tok.begin(), tok.end(), [](char32_t c) { return is_digit(c) || c == U'.'; });
  if (all_ascii) {
    std::string s(tok.begin(), tok.end());
    value = std::stod(s);
  } else {
    int64_t v = parse_chinese_number(tok);
    if (v < 0) return -1;
    value = static_cast<double>(v);
  }
  // Multipliers after digits: "10k", "10 K", "5 thousand".
  if (all_ascii) {
    size_t q = p;
    if (q < t.size() && (t[q] == U'k' || t[q] == U'K') && (q + 1 >= t.size() || !is_ascii_letter(t[q + 1]))) {
      value *= 1000;
      p = q + 1;
    } else {
      q = skip_spaces(t, q);
      if (word_at(t, q, U"thousand")) {
        value *= 1000;
        p = q + 8;
      }
    }
  }
  end = p;
  return value;
}

double parse_any_number(const std::u32string& t, size_t i, size_t& end) {
  if (i >= t.size()) return -1;
  if (is_digit(t[i]) || is_chinese_numeral(t[i])) return parse_number_at(t, i, end);
  if (is_ascii_letter(t[i])) {
    int64_t v = parse_english_number(t, i, end);
    return v < 0 ? -1 : static_cast<double>(v);
  }
  return -1;
}

// The unit after a number: "words"/"word" (also after "-"), 字, 个字, 個字, 词. Returns the end or npos.
size_t unit_at(const std::u32string& t, size_t i) {
  size_t p = i;
  if (p < t.size() && t[p] == U'+') ++p;  // "10,000+ words"
  p = skip_spaces(t, p);
  if (p < t.size() && (t[p] == U'-' || t[p] == U'‑')) p = skip_spaces(t, p + 1);
  if (word_at(t, p, U"words")) return p + 5;
  if (word_at(t, p, U"word")) return p + 4;
  if (p < t.size() && (t[p] == U'个' || t[p] == U'個')) ++p;
  if (p < t.size() && (t[p] == U'字' || t[p] == U'词')) {
    // 字母 (letters), 字符 (characters), 字节 (bytes), 字体 (font) are not word counts.
    if (p + 1 < t.size() && (t[p + 1] == U'母' || t[p + 1] == U'节' || t[p + 1] == U'体')) return std::u32string::npos;
    return p + 1;
  }
  return std::u32string::npos;
}

// A range connector after a number: "-", "–", "~", "to", "or", 至, 到. Returns the position after it.
size_t range_connector(const std::u32string& t, size_t i) {
  size_t p = skip_spaces(t, i);
  if (p >= t.size()) return std::u32string::npos;
  if (t[p] == U'-' || t[p] == U'–' || t[p] == U'—' || t[p] == U'~' || t[p] == U'～' || t[p] == U'至' ||
      t[p] == U'到')
    return skip_spaces(t, p + 1);
  if (word_at(t, p, U"to")) return skip_spaces(t, p + 2);
  if (word_at(t, p, U"or")) return skip_spaces(t, p + 2);
  return std::u32string::npos;
}

bool per_item_after(const std::u32string& t, size_t i) {
  size_t p = skip_spaces(t, i);
  return word_at(t, p, U"each") || word_at(t, p, U"per") || word_at(t, p, U"apiece");
}
bool per_item_before(const std::u32string& t, size_t i) {
  for (size_t k = 1; k <= 4 && k <= i; ++k)
    if (t[i - k] == U'每') return true;
  return false;
}

}  // namespace

int64_t parse_chinese_number(std::u32string_view s) {
  if (s.empty()) return -1;
  double total = 0, section = 0, number = 0;
  bool have_number = false;
  for (size_t i = 0; i < s.size();) {
    char32_t c = s[i];
    if (is_digit(c)) {
      std::string digits;
      while (i < s.size() && (is_digit(s[i]) || s[i] == U'.')) digits += static_cast<char>(s[i++]);
      number = std::stod(digits);
      have_number = true;
      continue;
    }
    int d = chinese_digit(c);
    int64_t u = chinese_unit(c);
    if (d >= 0) {
      number = d;
      have_number = true;
    } else if (u == 10 || u == 100 || u == 1000) {
      section += (have_number ? number : 1) * static_cast<double>(u);
      number = 0;
      have_number = false;
    } else if (u > 0) {
      section += number;
      if (section == 0) section = 1;
      total += section * static_cast<double>(u);
      section = number = 0;
      have_number = false;
    } else {
      return -1;
    }
    ++i;
  }
  return static_cast<int64_t>(std::llround(total + section + number));
}

std::vector<LengthMention> find_length_mentions(std::string_view text) {
  Decoded d = decode_with_offsets(text);
  const auto& t = d.cps;
  std::vector<LengthMention> out;
  for (size_t i = 0; i < t.size();) {
    size_t end = 0;
    double a = parse_any_number(t, i, end);
    if (a < 0) {
      // Skip the rest of an ASCII word so "someone" is not read as "one".
      if (is_ascii_letter(t[i])) {
        while (i < t.size() && is_ascii_letter(t[i])) ++i;
      } else {
        ++i;
      }
      continue;
    }
    double value = a;
    size_t after = end;
    size_t r = range_connector(t, end);
    if (r != std::u32string::npos) {
      size_t end2 = 0;
      double b = parse_any_number(t, r, end2);
      if (b > 0) {
        // "5-10k words": the first number shares the second's multiplier.
        if (a < b / 100 && b >= 1000) a *= 1000;
        value = (a + b) / 2;
        after = end2;
      }
    }
    size_t u = unit_at(t, after);
    if (u == std::u32string::npos || value < 1) {
      i = end > i ? end : i + 1;
      continue;
    }
    LengthMention m;
    m.words = static_cast<int64_t>(std::llround(value));
    m.begin = d.offs[i];
    m.end = d.offs[u];
    m.per_item = per_item_after(t, u) || per_item_before(t, i);
    out.push_back(m);
    i = u;
  }
  return out;
}

int64_t explicit_target_words(std::string_view text) {
  int64_t best = 0;
  for (const auto& m : find_length_mentions(text))
    if (!m.per_item) best = std::max(best, m.words);
  return best;
}

}  // namespace lw::agentwrite
