#include "eval/writingbench_parse.hpp"

#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "io/jsonl.hpp"

namespace lw::eval {

namespace {

// The position of the '}' closing the object that opens at text[open], skipping braces inside
// strings; none when the text ends first. Equal to the end of the decoded value whenever the
// text from `open` starts with a valid JSON object.
std::optional<size_t> closing_brace(std::string_view text, size_t open) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{')
      ++depth;
    else if (c == '}' && --depth == 0)
      return i;
  }
  return std::nullopt;
}

bool starts_with_at(std::string_view s, size_t i, std::string_view w) {
  return s.substr(i, w.size()) == w;
}

// Python's json accepts NaN, Infinity and -Infinity as numbers; nlohmann's parser does not. They
// are replaced (outside strings) by null, which fails the score check the same way NaN does.
std::string python_constants_as_null(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < s.size())
        out += s[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    size_t len = starts_with_at(s, i, "-Infinity")  ? 9
                 : starts_with_at(s, i, "Infinity") ? 8
                 : starts_with_at(s, i, "NaN")      ? 3
                                                    : 0;
    if (len > 0) {
      out += "null";
      i += len - 1;
    } else {
      out += c;
    }
  }
  return out;
}

// Python's `score in [1, ..., 10]`: equality with an int, so integral floats and True count.
std::optional<int> score_value(const io::Json& s) {
  if (s.is_boolean()) return s.get<bool>() ? std::optional<int>(1) : std::nullopt;
  if (s.is_number_integer()) {
    int64_t v = s.get<int64_t>();
    return v >= 1 && v <= 10 ? std::optional<int>(static_cast<int>(v)) : std::nullopt;
  }
  if (s.is_number_unsigned()) {
    uint64_t v = s.get<uint64_t>();
    return v >= 1 && v <= 10 ? std::optional<int>(static_cast<int>(v)) : std::nullopt;
  }
  if (s.is_number_float()) {
    double v = s.get<double>();
    if (std::isfinite(v) && v >= 1 && v <= 10 && v == std::floor(v)) return static_cast<int>(v);
  }
  return std::nullopt;
}

}  // namespace

std::string_view judged_part(std::string_view response) {
  constexpr std::string_view kMarker = "</think>\n\n";
  size_t p = response.find(kMarker);
  return p == std::string_view::npos ? response : response.substr(p + kMarker.size());
}

CriticParse parse_critic_reply(std::string_view reply) {
  CriticParse r;
  std::string_view text = reply;
  if (size_t t = text.find("</think>"); t != std::string_view::npos) text = text.substr(t + 8);
  const io::Json* found = nullptr;
  io::Json obj;
  for (size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
    auto close = closing_brace(text, open);
    if (!close) continue;
    io::Json v =
        io::Json::parse(python_constants_as_null(text.substr(open, *close - open + 1)), nullptr, false);
    if (v.is_discarded() || !v.is_object() || !v.contains("score") || !v.contains("reason")) continue;
    obj = std::move(v);
    found = &obj;
    break;
  }
  if (!found) {
    r.error = "no JSON object with \"score\" and \"reason\" in the reply";
    return r;
  }
  auto score = score_value(obj.at("score"));
  if (!score) {
    r.error = fmt::format("\"score\" must be an integer from 1 to 10, got {}", obj.at("score").dump());
    return r;
  }
  if (!obj.at("reason").is_string()) {
    r.error = fmt::format("\"reason\" must be a string, got {}", obj.at("reason").dump());
    return r;
  }
  r.ok = true;
  r.score = *score;
  r.reason = obj.at("reason").get<std::string>();
  return r;
}

}  // namespace lw::eval
