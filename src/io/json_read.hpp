#pragma once
// The one JSON-reading path for files the user hands us (JSONL records, config.json, manifests,
// tokenizer files, safetensors headers). Nesting depth is bounded before parsing (a line nested a
// few hundred thousand levels would otherwise overflow the stack of whatever walks the value), and
// every nlohmann exception (syntax, numbers out of range such as 1e400, a field of the wrong type)
// becomes an lw::InputError that names the place: "pred.jsonl:17: invalid JSON: ...".
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace lw::io {

// Deeper than any file of ours nests; far below what recursion over a value can survive.
inline constexpr int kMaxJsonDepth = 256;

// The deepest nesting of arrays and objects in `text` (strings skipped); stops counting once it
// exceeds `limit`, so the cost is one pass at most.
int json_depth(std::string_view text, int limit);

// Parses one JSON document read from `where` (a file name, or "file:line").
nlohmann::json parse_json(std::string_view text, const std::string& where, int max_depth = kMaxJsonDepth);

// The text of a library exception without nlohmann's "[json.exception.type_error.302] " prefix.
std::string json_error_text(const std::exception& e);

// Runs fn(); a nlohmann exception or a std::logic_error (a bad number conversion) escaping it
// becomes InputError "where: <text>". For readers that walk a parsed value with j.at()/get<>().
template <typename F>
auto with_json_errors(const std::string& where, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const nlohmann::json::exception& e) {
    fail_input("{}: {}", where, json_error_text(e));
  } catch (const std::logic_error& e) {
    fail_input("{}: {}", where, json_error_text(e));
  }
}

}  // namespace lw::io
