#pragma once
// A validator of the JSON Schema subset of serve/json_constraint.hpp, written apart from the
// recognizer, for the response_format tests.
#include <string>

#include <nlohmann/json.hpp>

namespace lw::testing {

// A validator of the supported subset, independent of the recognizer.
inline bool matches_schema(const nlohmann::json& v, const nlohmann::json& s) {
  if (s.contains("enum")) {
    for (const auto& e : s["enum"])
      if (e == v) return true;
    return false;
  }
  const std::string t = s.value("type", s.contains("properties") ? "object" : "");
  if (t.empty()) return true;
  if (t == "string") return v.is_string();
  if (t == "number") return v.is_number();
  if (t == "integer") return v.is_number_integer();
  if (t == "boolean") return v.is_boolean();
  if (t == "array") {
    if (!v.is_array()) return false;
    for (const auto& x : v)
      if (s.contains("items") && !matches_schema(x, s["items"])) return false;
    return true;
  }
  if (t == "object") {
    if (!v.is_object()) return false;
    for (const auto& r : s.value("required", nlohmann::json::array()))
      if (!v.contains(r.get<std::string>())) return false;
    if (s.contains("properties"))
      for (const auto& [k, x] : v.items()) {
        if (!s["properties"].contains(k)) return false;
        if (!matches_schema(x, s["properties"][k])) return false;
      }
    return true;
  }
  return false;
}

}  // namespace lw::testing
