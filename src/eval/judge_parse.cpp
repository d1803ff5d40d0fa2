#include "eval/judge_parse.hpp"

#include <cctype>
#include <cmath>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace lw::eval {

using Json = nlohmann::json;

namespace {

// Index one past the '}' matching the '{' at text[start], or npos. Braces inside ASCII
// double-quoted strings (with backslash escapes) do not count.
size_t find_object_end(std::string_view text, size_t start) {
  int depth = 0;
  bool in_str = false, esc = false;
  for (size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_str) {
      if (esc) esc = false;
      else if (c == '\\') esc = true;
      else if (c == '"') in_str = false;
      continue;
    }
    if (c == '"') in_str = true;
    else if (c == '{') ++depth;
    else if (c == '}' && --depth == 0) return i + 1;
  }
  return std::string_view::npos;
}

bool starts_with_at(std::string_view s, size_t i, std::string_view what) {
  return s.size() >= i + what.size() && s.substr(i, what.size()) == what;
}

// Fixes the slips judges make in otherwise-JSON answers: full-width colons and commas, curly or
// single quotes around keys and values, trailing commas, raw newlines inside strings.
std::string repair_json(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_str = false, esc = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (esc) {
        esc = false;
        out += c;
      } else if (c == '\\') {
        esc = true;
        out += c;
      } else if (c == '"') {
        in_str = false;
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else {
        out += c;
      }
      continue;
    }
    if (c == '"') {
      in_str = true;
      out += c;
    } else if (starts_with_at(s, i, "\xEF\xBC\x9A")) {  // full-width colon
      out += ':';
      i += 2;
    } else if (starts_with_at(s, i, "\xEF\xBC\x8C")) {  // full-width comma
      out += ',';
      i += 2;
    } else if (starts_with_at(s, i, "\xE2\x80\x9C") || c == '\'') {  // curly or single quote
      std::string_view close = c == '\'' ? std::string_view("'") : std::string_view("\xE2\x80\x9D");
      size_t open_len = c == '\'' ? 1 : 3;
      size_t end = s.find(close, i + open_len);
      if (end == std::string_view::npos) return out + std::string(s.substr(i));
      out += '"';
      for (char d : s.substr(i + open_len, end - i - open_len)) {
        if (d == '"' || d == '\\') out += '\\';
        if (d == '\n') out += "\\n";
        else out += d;
      }
      out += '"';
      i = end + close.size() - 1;
    } else if (c == ',') {
      size_t j = i + 1;
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j < s.size() && (s[j] == '}' || s[j] == ']')) continue;  // trailing comma
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<Json> parse_object(std::string_view candidate) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string text = attempt == 0 ? std::string(candidate) : repair_json(candidate);
    Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) return j;
  }
  return std::nullopt;
}

// Every top-level JSON object in the text, left to right. A balanced {...} that does not parse is
// searched again from its next character, so objects nested in broken text are still found.
std::vector<Json> find_objects(std::string_view text) {
  std::vector<Json> out;
  size_t i = 0;
  while ((i = text.find('{', i)) != std::string_view::npos) {
    size_t end = find_object_end(text, i);
    if (end != std::string_view::npos) {
      if (auto j = parse_object(text.substr(i, end - i))) {
        out.push_back(std::move(*j));
        i = end;
        continue;
      }
    }
    ++i;
  }
  return out;
}

// A score value: an integer, an integral float (4.0), a string "4", "4/5" or "4 out of 5", or an
// object {"score": 4, ...}. Returns the integer or an error message.
std::optional<int> score_value(const Json& v, std::string& err, const std::string& name, int depth = 0) {
  auto range = [&](double d) -> std::optional<int> {
    if (d != std::floor(d)) {
      err = fmt::format("\"{}\": {} is not an integer", name, d);
      return std::nullopt;
    }
    if (d < 1 || d > 5) {
      err = fmt::format("\"{}\": {} is outside 1..5", name, d);
      return std::nullopt;
    }
    return static_cast<int>(d);
  };
  if (v.is_number()) {
    double d = v.get<double>();
    if (!std::isfinite(d)) {
      err = fmt::format("\"{}\": not a finite number", name);
      return std::nullopt;
    }
    return range(d);
  }
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    size_t a = s.find_first_not_of(" \t\n");
    size_t b = s.find_last_not_of(" \t\n.");
    if (a == std::string::npos) {
      err = fmt::format("\"{}\": empty string", name);
      return std::nullopt;
    }
    s = s.substr(a, b - a + 1);
    size_t n = 0;
    while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
    std::string rest = s.substr(n);
    size_t r = rest.find_first_not_of(' ');
    rest = r == std::string::npos ? "" : rest.substr(r);
    bool suffix_ok = rest.empty() || rest == "/5" || rest == "/ 5" || rest == "out of 5" ||
                     rest == "points" || rest == "\xE5\x88\x86";  // "分"
    if (n == 0 || n > 3 || !suffix_ok) {
      err = fmt::format("\"{}\": \"{}\" is not an integer score", name, v.get<std::string>());
      return std::nullopt;
    }
    return range(std::stod(s.substr(0, n)));
  }
  if (v.is_object() && depth == 0) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string k = normalize_dimension_key(it.key());
      if (k == "score" || k == "rating" || k == "value") return score_value(it.value(), err, name, 1);
    }
  }
  err = fmt::format("\"{}\": expected an integer 1..5, got {}", name, v.dump());
  return std::nullopt;
}

struct Extract {
  std::array<int, kNumDimensions> scores{};
  std::array<bool, kNumDimensions> have{};
  int found = 0;      // dimensions with a valid score
  int mentioned = 0;  // dimensions present at all
  std::string error;  // first invalid value
  std::string analysis;
};

void extract_from(const Json& obj, Extract& ex) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    std::string norm = normalize_dimension_key(it.key());
    if (norm == "analysis" && it.value().is_string() && ex.analysis.empty())
      ex.analysis = it.value().get<std::string>();
    int idx = dimension_index(it.key());
    if (idx < 0 || ex.have[idx]) continue;
    ++ex.mentioned;
    std::string err;
    if (auto s = score_value(it.value(), err, std::string(kDimensions[idx]))) {
      ex.scores[idx] = *s;
      ex.have[idx] = true;
      ++ex.found;
    } else if (ex.error.empty()) {
      ex.error = err;
    }
  }
}

Extract extract_scores(const Json& obj) {
  Extract ex;
  extract_from(obj, ex);
  if (ex.mentioned == 0) {  // {"scores": {...}} or {"evaluation": {...}}
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (it.value().is_object()) {
        extract_from(it.value(), ex);
        if (ex.mentioned > 0) break;
      }
  }
  return ex;
}

std::string missing_list(const Extract& ex) {
  std::string out;
  for (int i = 0; i < kNumDimensions; ++i)
    if (!ex.have[i]) out += (out.empty() ? "\"" : ", \"") + std::string(kDimensions[i]) + "\"";
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Last resort when no JSON object names any dimension: lines like "**Relevance**: 4" or
// "Clarity - 3/5". Every dimension must appear with one consistent score.
JudgeParse parse_text_scores(std::string_view text) {
  JudgeParse r;
  std::string low = ascii_lower(text);
  for (int d = 0; d < kNumDimensions; ++d) {
    std::vector<std::string> names = {ascii_lower(kDimensions[d])};
    if (d == 4) names.push_back("breadth & depth");
    std::optional<int> value;
    for (const auto& name : names) {
      for (size_t pos = low.find(name); pos != std::string::npos; pos = low.find(name, pos + 1)) {
        size_t i = pos + name.size();
        for (;;) {
          if (i < low.size() && std::string_view(" *\":-=\t_#").find(low[i]) != std::string_view::npos) ++i;
          else if (starts_with_at(low, i, "\xEF\xBC\x9A")) i += 3;
          else break;
        }
        size_t n = 0;
        while (i + n < low.size() && std::isdigit(static_cast<unsigned char>(low[i + n]))) ++n;
        if (n == 0) continue;
        if (i + n + 1 < low.size() && low[i + n] == '.' && std::isdigit(static_cast<unsigned char>(low[i + n + 1]))) {
          r.error = fmt::format("\"{}\": a fractional score", kDimensions[d]);
          return r;
        }
        int v = std::stoi(low.substr(i, std::min<size_t>(n, 3)));
        if (v < 1 || v > 5) {
          r.error = fmt::format("\"{}\": {} is outside 1..5", kDimensions[d], v);
          return r;
        }
        if (value && *value != v) {
          r.error = fmt::format("\"{}\" is given two different scores", kDimensions[d]);
          return r;
        }
        value = v;
      }
    }
    if (!value) {
      r.error = "no JSON object with the six scores found";
      return r;
    }
    r.scores[d] = *value;
  }
  r.ok = true;
  r.method = "text";
  return r;
}

}  // namespace

std::string normalize_dimension_key(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
    else if (c == '&') out += "and";
  }
  return out;
}

int dimension_index(std::string_view key) {
  std::string k = normalize_dimension_key(key);
  for (int i = 0; i < kNumDimensions; ++i)
    if (k == normalize_dimension_key(kDimensions[i])) return i;
  return -1;
}

JudgeParse parse_judge_output(std::string_view text) {
  JudgeParse r;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    r.error = "empty answer";
    return r;
  }
  std::vector<Json> objects = find_objects(text);
  std::vector<Extract> complete;
  const Extract* best = nullptr;
  std::vector<Extract> all;
  all.reserve(objects.size());
  for (const auto& o : objects) all.push_back(extract_scores(o));
  for (const auto& ex : all) {
    if (ex.found == kNumDimensions) complete.push_back(ex);
    else if (ex.mentioned > 0 && (!best || ex.mentioned > best->mentioned)) best = &ex;
  }
  if (!complete.empty()) {
    for (const auto& ex : complete) {
      if (ex.scores != complete.front().scores) {
        r.error = fmt::format("{} JSON objects with different scores; cannot tell which is meant", complete.size());
        return r;
      }
    }
    r.ok = true;
    r.method = "json";
    r.scores = complete.front().scores;
    for (const auto& ex : complete)
      if (!ex.analysis.empty()) {
        r.analysis = ex.analysis;
        break;
      }
    return r;
  }
  if (best) {
    r.error = !best->error.empty() ? best->error : "missing dimension(s) " + missing_list(*best);
    return r;
  }
  JudgeParse t = parse_text_scores(text);
  if (!t.ok && objects.empty() && text.find('{') != std::string_view::npos &&
      t.error == "no JSON object with the six scores found")
    t.error = "no complete JSON object found (unbalanced braces or invalid JSON)";
  return t;
}

}  // namespace lw::eval
