#include "agentwrite/clean.hpp"

#include "text/regex.hpp"
#include "text/utf8.hpp"

namespace lw::agentwrite {
namespace {

using text::Regex;
using text::RegexMatch;

const Regex& label_regex() {
  // Optional heading/bold marks, the label, optional bold close and separators. A label directly
  // followed by a letter ("Paragraphs are...") is not a label.
  static const Regex re(
      R"(^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*|__)?[ \t]*(?:(?:paragraph|para\.?)[ \t]*\d+|段落[ \t]*(?:\d+|[一二三四五六七八九十百]+)|第[ \t]*(?:\d+|[一二三四五六七八九十百]+)[ \t]*段)[ \t]*(?:\*\*|__)?[ \t]*(?:[:：.\-–—)）]+|(?=\r?\n)|$)[ \t]*(?:\*\*|__)?)",
      text::RegexOptions{true, "paragraph label"});
  return re;
}

const Regex& plan_echo_regex() {
  // The rest of a label line that repeats the plan: "Main Point: ... - Word Count: 400 words".
  static const Regex re(R"(^[ \t]*(?:main\s*point|主要内容)[ \t]*[:：][^\n]*(?:\n|$))",
                        text::RegexOptions{true, "plan echo"});
  return re;
}

std::string trim_blank(std::string_view s) {
  size_t b = 0, e = s.size();
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (b < e && space(s[b])) ++b;
  while (e > b && space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

std::string strip_invisible(std::string_view text) {
  std::string s = text::sanitize(text);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    char32_t c = text::decode_one(s, i);
    if ((c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF) continue;
    out.append(s, start, i - start);
  }
  return out;
}

std::string clean_paragraph(std::string_view text) {
  std::string s = trim_blank(strip_invisible(text));
  RegexMatch m;
  if (label_regex().search(s, m)) {
    std::string rest = s.substr(m.end());
    RegexMatch e;
    if (plan_echo_regex().search(rest, e)) rest = rest.substr(e.end());
    s = trim_blank(rest);
  }
  return s;
}

std::string join_paragraphs(const std::vector<std::string>& paragraphs) {
  std::string out;
  for (const auto& p : paragraphs) {
    std::string c = clean_paragraph(p);
    if (c.empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += c;
  }
  return out;
}

std::string trim_to_last_sentence(std::string_view text) {
  auto closer = [](std::string_view t, size_t i) -> size_t {  // bytes of a closing mark at i, else 0
    static const std::string_view marks[] = {"\"", "'", ")", "]", "*", "\u201d", "\u2019", "\u300d", "\u300f", "\uff09"};
    for (auto m : marks)
      if (t.substr(i, m.size()) == m) return m.size();
    return 0;
  };
  auto terminator = [](std::string_view t, size_t i) -> size_t {  // bytes of a sentence end at i, else 0
    static const std::string_view ends[] = {".", "!", "?", "\u3002", "\uff01", "\uff1f", "\u2026"};
    for (auto e : ends)
      if (t.substr(i, e.size()) == e) return e.size();
    return 0;
  };
  size_t best = std::string_view::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    size_t n = terminator(text, i);
    if (n == 0) continue;
    size_t j = i + n;
    while (j < text.size()) {
      size_t m = terminator(text, j);
      if (m == 0) m = closer(text, j);
      if (m == 0) break;
      j += m;
    }
    // A full stop inside a token ("3.5", "e.g.x") is no sentence end; CJK ends need no space.
    const bool cjk = n > 1;
    if (j == text.size() || cjk || text[j] == ' ' || text[j] == '\n' || text[j] == '\t' || text[j] == '\r') best = j;
    i = j - 1;
  }
  if (best == std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, best));
}

}  // namespace lw::agentwrite
