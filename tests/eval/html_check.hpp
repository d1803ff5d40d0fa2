#pragma once
// A strict well-formedness check for the generated HTML: every element closed in order (void
// elements excepted), attributes quoted, entities valid, <style> as raw text. Returns "" when the
// page is well-formed, else the first problem with its byte offset.
#include <cctype>
#include <string>
#include <vector>

namespace lw::testing {

inline std::string check_html(const std::string& s) {
  static const std::vector<std::string> kVoid = {"meta", "br", "img", "link", "input", "hr", "col", "wbr"};
  auto is_void = [&](const std::string& t) {
    for (const auto& v : kVoid)
      if (v == t) return true;
    return false;
  };
  auto err = [](const std::string& what, size_t at) { return what + " at byte " + std::to_string(at); };
  auto check_entity = [&](size_t i) -> bool {
    size_t semi = s.find(';', i);
    if (semi == std::string::npos || semi - i > 10) return false;
    std::string body = s.substr(i + 1, semi - i - 1);
    if (body.empty()) return false;
    if (body[0] == '#') {
      if (body.size() < 2) return false;
      for (size_t k = 1; k < body.size(); ++k)
        if (!std::isdigit(static_cast<unsigned char>(body[k]))) return false;
      return true;
    }
    for (char c : body)
      if (!std::isalnum(static_cast<unsigned char>(c))) return false;
    return true;
  };
  std::vector<std::string> stack;
  size_t i = 0;
  bool seen_doctype = false;
  while (i < s.size()) {
    char c = s[i];
    if (c == '&') {
      if (!check_entity(i)) return err("bad entity", i);
      ++i;
      continue;
    }
    if (c == '>') return err("stray '>'", i);
    if (c != '<') {
      ++i;
      continue;
    }
    if (s.compare(i, 9, "<!DOCTYPE") == 0) {
      if (!stack.empty() || seen_doctype) return err("misplaced DOCTYPE", i);
      seen_doctype = true;
      i = s.find('>', i) + 1;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      size_t e = s.find("-->", i);
      if (e == std::string::npos) return err("unclosed comment", i);
      i = e + 3;
      continue;
    }
    bool closing = i + 1 < s.size() && s[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    size_t name_start = j;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-')) ++j;
    std::string name = s.substr(name_start, j - name_start);
    if (name.empty()) return err("'<' not starting a tag", i);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (closing) {
      if (j >= s.size() || s[j] != '>') return err("bad closing tag </" + name, i);
      if (stack.empty() || stack.back() != name)
        return err("</" + name + "> does not close <" + (stack.empty() ? "" : stack.back()) + ">", i);
      stack.pop_back();
      i = j + 1;
      continue;
    }
    // Attributes: name="value" or name='value'.
    bool self_close = false;
    for (;;) {
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j >= s.size()) return err("unterminated tag <" + name, i);
      if (s[j] == '>') break;
      if (s[j] == '/' && j + 1 < s.size() && s[j + 1] == '>') {
        self_close = true;
        ++j;
        break;
      }
      size_t a = j;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-' || s[j] == ':' || s[j] == '_'))
        ++j;
      if (j == a) return err("bad attribute in <" + name + ">", j);
      if (s[j] != '=') return err("attribute without a quoted value in <" + name + ">", j);
      ++j;
      char q = s[j];
      if (q != '"' && q != '\'') return err("unquoted attribute value in <" + name + ">", j);
      size_t e = s.find(q, j + 1);
      if (e == std::string::npos) return err("unterminated attribute value", j);
      for (size_t k = j + 1; k < e; ++k) {
        if (s[k] == '<') return err("'<' in attribute value", k);
        if (s[k] == '&' && !check_entity(k)) return err("bad entity in attribute", k);
      }
      j = e + 1;
    }
    i = j + 1;
    if (self_close || is_void(name)) continue;
    if (name == "style" || name == "script") {
      size_t e = s.find("</" + name + ">", i);
      if (e == std::string::npos) return err("unclosed <" + name + ">", i);
      i = e + name.size() + 3;
      continue;
    }
    stack.push_back(name);
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + "> at end";
  if (!seen_doctype) return "no DOCTYPE";
  return "";
}

inline size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace lw::testing
