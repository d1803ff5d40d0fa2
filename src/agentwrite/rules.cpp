#include "agentwrite/rules.hpp"

#include <fmt/format.h>

#include "io/file.hpp"
#include "util/error.hpp"

namespace lw::agentwrite {
namespace {

bool is_word_byte(unsigned char c) { return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'); }

std::string escape_regex(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string phrase_pattern(std::string_view phrase) {
  bool prefix = !phrase.empty() && phrase.back() == '*';
  if (prefix) phrase.remove_suffix(1);
  std::string pat;
  if (!phrase.empty() && is_word_byte(static_cast<unsigned char>(phrase.front()))) pat += "\\b";
  // Runs of spaces in a phrase match any whitespace.
  bool in_space = false;
  for (char c : phrase) {
    if (c == ' ' || c == '\t') {
      if (!in_space) pat += "\\s+";
      in_space = true;
      continue;
    }
    in_space = false;
    pat += escape_regex(std::string_view(&c, 1));
  }
  if (prefix) pat += "\\w*";
  if (!phrase.empty() && is_word_byte(static_cast<unsigned char>(phrase.back()))) pat += "\\b";
  return pat;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

void RuleSet::add(std::string_view text, const std::string& name) {
  bool have_section = false, drop = true;
  std::string section;
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    std::string where = fmt::format("{}:{}", name, line_no);
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') fail_input("{}: section header must look like [drop NAME] or [keep NAME]", where);
      std::string inner = trim(line.substr(1, line.size() - 2));
      size_t sp = inner.find(' ');
      std::string kind = inner.substr(0, sp);
      section = sp == std::string::npos ? "" : trim(inner.substr(sp + 1));
      if ((kind != "drop" && kind != "keep") || section.empty())
        fail_input("{}: section header must look like [drop NAME] or [keep NAME], got {}", where, line);
      drop = kind == "drop";
      have_section = true;
      continue;
    }
    if (!have_section) fail_input("{}: rule before any [drop NAME] or [keep NAME] section", where);
    std::string pattern = line.rfind("re:", 0) == 0 ? line.substr(3) : phrase_pattern(line);
    if (pattern.empty()) fail_input("{}: empty rule", where);
    Rule r;
    r.drop = drop;
    r.section = section;
    r.source = line;
    r.where = where;
    r.regex = std::make_shared<const text::Regex>(pattern, text::RegexOptions{true, where});
    rules_.push_back(std::move(r));
  }
}

void RuleSet::add_file(const std::string& path) { add(io::read_file(path), path); }

void RuleSet::add_defaults() { add(default_rules_text(), "default rules"); }

const Rule* RuleSet::first_match(std::string_view text, bool drop) const {
  for (const auto& r : rules_)
    if (r.drop == drop && r.regex->contains(text)) return &r;
  return nullptr;
}

}  // namespace lw::agentwrite
