#include "serve/json_constraint.hpp"

#include <algorithm>
#include <cstring>

#include "util/error.hpp"

namespace lw::serve {

namespace {

constexpr int kMaxWhitespaceRun = 2;
constexpr size_t kMaxNumberChars = 15;  // integers stay exact as doubles (JavaScript)

bool is_ws(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The number grammar's state after `s` (-1: not a prefix of a number). Terminal: 2, 3, 5, 8.
int number_state(const std::string& s, bool integer) {
  int st = 0;
  for (char c : s) {
    switch (st) {
      case 0:
        st = c == '-' ? 1 : c == '0' ? 2 : is_digit(c) ? 3 : -1;
        break;
      case 1:
        st = c == '0' ? 2 : is_digit(c) ? 3 : -1;
        break;
      case 2:
        st = (!integer && c == '.') ? 4 : (!integer && (c == 'e' || c == 'E')) ? 6 : -1;
        break;
      case 3:
        st = is_digit(c) ? 3 : (!integer && c == '.') ? 4 : (!integer && (c == 'e' || c == 'E')) ? 6 : -1;
        break;
      case 4:
        st = is_digit(c) ? 5 : -1;
        break;
      case 5:
        st = is_digit(c) ? 5 : (c == 'e' || c == 'E') ? 6 : -1;
        break;
      case 6:
        st = (c == '+' || c == '-') ? 7 : is_digit(c) ? 8 : -1;
        break;
      case 7:
        st = is_digit(c) ? 8 : -1;
        break;
      case 8:
        st = is_digit(c) ? 8 : -1;
        break;
      default:
        return -1;
    }
    if (st < 0) return -1;
  }
  return st;
}

bool terminal(int st) {
  return st == 2 || st == 3 || st == 5 || st == 8;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

const SchemaNode* property(const SchemaNode* obj, const std::string& key) {
  if (!obj) return nullptr;
  for (const auto& [k, v] : obj->properties)
    if (k == key) return v.get();
  return nullptr;
}

bool has_properties(const SchemaNode* obj) {
  return obj && !obj->properties.empty();
}

// The shortest of `options` starting with `prefix` ("" if none).
std::string shortest_with_prefix(const std::vector<std::string>& options, const std::string& prefix) {
  std::string best;
  bool found = false;
  for (const auto& o : options)
    if (starts_with(o, prefix) && (!found || o.size() < best.size())) {
      best = o;
      found = true;
    }
  return best;
}

std::shared_ptr<const SchemaNode> parse_node(const nlohmann::json& j, int depth) {
  if (depth > 32) fail_input("response_format: the schema nests deeper than 32 levels");
  if (!j.is_object()) fail_input("response_format: a schema must be an object");
  for (const char* k : {"$ref", "anyOf", "oneOf", "allOf", "not", "if", "patternProperties"})
    if (j.contains(k)) fail_input("response_format: schema keyword \"{}\" is not supported", k);
  auto n = std::make_shared<SchemaNode>();
  if (j.contains("enum") || j.contains("const")) {
    n->type = SchemaNode::Type::enumeration;
    const nlohmann::json values = j.contains("enum") ? j["enum"] : nlohmann::json::array({j["const"]});
    if (!values.is_array() || values.empty())
      fail_input("response_format: \"enum\" must be a non-empty array");
    for (const auto& v : values) n->literals.push_back(v.dump(-1, ' ', /*ensure_ascii=*/true));
    return n;
  }
  std::string type;
  if (j.contains("type")) {
    if (!j["type"].is_string()) fail_input("response_format: only a single \"type\" string is supported");
    type = j["type"].get<std::string>();
  } else if (j.contains("properties")) {
    type = "object";
  }
  if (type.empty()) return n;  // any value
  if (type == "object") {
    n->type = SchemaNode::Type::object;
    if (j.contains("properties")) {
      if (!j["properties"].is_object()) fail_input("response_format: \"properties\" must be an object");
      for (const auto& [k, v] : j["properties"].items()) {
        for (char c : k)
          if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            fail_input("response_format: property name \"{}\" must be printable ASCII without quotes", k);
        n->properties.emplace_back(k, parse_node(v, depth + 1));
      }
    }
    if (j.contains("required")) {
      if (!j["required"].is_array()) fail_input("response_format: \"required\" must be an array");
      for (const auto& r : j["required"]) {
        if (!r.is_string()) fail_input("response_format: \"required\" must list strings");
        if (!n->properties.empty() && !property(n.get(), r.get<std::string>()))
          fail_input("response_format: required property \"{}\" is not in \"properties\"",
                     r.get<std::string>());
        n->required.push_back(r.get<std::string>());
      }
    }
  } else if (type == "array") {
    n->type = SchemaNode::Type::array;
    if (j.contains("items")) n->items = parse_node(j["items"], depth + 1);
  } else if (type == "string") {
    n->type = SchemaNode::Type::string;
  } else if (type == "number") {
    n->type = SchemaNode::Type::number;
  } else if (type == "integer") {
    n->type = SchemaNode::Type::integer;
  } else if (type == "boolean") {
    n->type = SchemaNode::Type::boolean;
  } else {
    fail_input("response_format: schema type \"{}\" is not supported", type);
  }
  return n;
}

}  // namespace

std::shared_ptr<const SchemaNode> parse_json_schema(const nlohmann::json& schema) {
  return parse_node(schema, 0);
}

std::shared_ptr<const SchemaNode> any_json_object() {
  auto n = std::make_shared<SchemaNode>();
  n->type = SchemaNode::Type::object;
  return n;
}

JsonRecognizer::JsonRecognizer(std::shared_ptr<const SchemaNode> root) : root_(std::move(root)) {
  Frame f{Frame::Kind::value};
  f.schema = root_.get();
  stack_.push_back(std::move(f));
}

bool JsonRecognizer::feed(std::string_view bytes) {
  for (char c : bytes)
    if (!step(c)) return false;
  return true;
}

bool JsonRecognizer::complete() const {
  if (done_) return true;
  if (stack_.size() != 1) return false;
  const Frame& f = stack_.back();
  if (f.kind == Frame::Kind::number)
    return terminal(number_state(f.text, f.schema && f.schema->type == SchemaNode::Type::integer));
  if (f.kind == Frame::Kind::literal)
    return std::find(f.candidates.begin(), f.candidates.end(), f.text) != f.candidates.end();
  return false;
}

void JsonRecognizer::pop() {
  Frame f = std::move(stack_.back());
  stack_.pop_back();
  if (stack_.empty()) {
    done_ = true;
    return;
  }
  Frame& p = stack_.back();
  if (p.kind == Frame::Kind::object) {
    if (f.kind == Frame::Kind::string && f.is_key) {
      p.key = f.text;
      p.state = 3;
    } else {
      p.seen.push_back(p.key);
      p.state = 6;
    }
  } else if (p.kind == Frame::Kind::array) {
    p.state = 3;
  }
}

bool JsonRecognizer::start_value(Frame& f, char c) {
  using T = SchemaNode::Type;
  const T t = f.schema ? f.schema->type : T::any;
  if (t == T::enumeration) {
    f.kind = Frame::Kind::literal;
    f.candidates = f.schema->literals;
    return step(c);
  }
  if (c == '{' && (t == T::object || t == T::any)) {
    f.kind = Frame::Kind::object;
    return true;
  }
  if (c == '[' && (t == T::array || t == T::any)) {
    f.kind = Frame::Kind::array;
    return true;
  }
  if (c == '"' && (t == T::string || t == T::any)) {
    f.kind = Frame::Kind::string;
    return true;
  }
  if ((c == '-' || is_digit(c)) && (t == T::number || t == T::integer || t == T::any)) {
    f.kind = Frame::Kind::number;
    return step(c);
  }
  if ((c == 't' || c == 'f') && (t == T::boolean || t == T::any)) {
    f.kind = Frame::Kind::literal;
    f.candidates = {"true", "false"};
    return step(c);
  }
  if (c == 'n' && t == T::any) {
    f.kind = Frame::Kind::literal;
    f.candidates = {"null"};
    return step(c);
  }
  return false;
}

bool JsonRecognizer::step(char c) {
  if (done_ || stack_.empty()) return false;
  Frame& f = stack_.back();
  const bool ws = is_ws(c);
  if (ws && f.kind != Frame::Kind::string && f.kind != Frame::Kind::number &&
      f.kind != Frame::Kind::literal) {
    if (f.kind == Frame::Kind::object && f.state != 0 && f.state != 1 && f.state != 3 && f.state != 6)
      return false;
    return ++ws_ <= kMaxWhitespaceRun;
  }
  if (!ws) ws_ = 0;
  switch (f.kind) {
    case Frame::Kind::value:
      return start_value(f, c);
    case Frame::Kind::string: {
      if (f.state == 1) {
        if (!std::strchr("\"\\/bfnrt", c) || c == '\0') return false;
        f.state = 0;
        return true;
      }
      if (c == '"') {
        if (f.is_key) {
          const Frame& obj = stack_[stack_.size() - 2];
          if (has_properties(obj.schema) &&
              (!property(obj.schema, f.text) ||
               std::find(obj.seen.begin(), obj.seen.end(), f.text) != obj.seen.end()))
            return false;
        }
        pop();
        return true;
      }
      if (c == '\\') {
        if (f.is_key) return false;
        f.state = 1;
        return true;
      }
      if (c < 0x20 || c > 0x7e) return false;
      if (f.is_key) {
        const Frame& obj = stack_[stack_.size() - 2];
        const std::string t = f.text + c;
        if (has_properties(obj.schema)) {
          bool ok = false;
          for (const auto& [k, v] : obj.schema->properties)
            ok |= starts_with(k, t) && std::find(obj.seen.begin(), obj.seen.end(), k) == obj.seen.end();
          if (!ok) return false;
        }
        f.text = t;
      }
      return true;
    }
    case Frame::Kind::number: {
      const bool integer = f.schema && f.schema->type == SchemaNode::Type::integer;
      const std::string t = f.text + c;
      if (t.size() <= kMaxNumberChars && number_state(t, integer) >= 0) {
        f.text = t;
        return true;
      }
      if (!terminal(number_state(f.text, integer))) return false;
      pop();
      return step(c);
    }
    case Frame::Kind::literal: {
      const std::string t = f.text + c;
      bool prefix = false, longer = false, equal = false;
      for (const auto& cand : f.candidates) {
        if (starts_with(cand, t)) {
          prefix = true;
          equal |= cand == t;
          longer |= cand.size() > t.size();
        }
      }
      if (prefix) {
        f.text = t;
        if (equal && !longer && stack_.size() > 1)
          pop();
        else if (equal && !longer)
          done_ = true;
        return true;
      }
      if (std::find(f.candidates.begin(), f.candidates.end(), f.text) == f.candidates.end()) return false;
      pop();
      return step(c);
    }
    case Frame::Kind::object: {
      auto required_done = [&] {
        if (!f.schema) return true;
        for (const auto& r : f.schema->required)
          if (std::find(f.seen.begin(), f.seen.end(), r) == f.seen.end()) return false;
        return true;
      };
      auto push_key = [&] {
        f.state = 2;
        Frame k{Frame::Kind::string};
        k.is_key = true;
        stack_.push_back(std::move(k));
        return true;
      };
      if ((f.state == 0 || f.state == 1) && c == '"') return push_key();
      if ((f.state == 0 || f.state == 6) && c == '}') {
        if (!required_done()) return false;
        pop();
        return true;
      }
      if (f.state == 3 && c == ':') {
        f.state = 5;
        Frame v{Frame::Kind::value};
        v.schema = property(f.schema, f.key);
        stack_.push_back(std::move(v));
        return true;
      }
      if (f.state == 6 && c == ',') {
        if (has_properties(f.schema) && f.seen.size() >= f.schema->properties.size()) return false;
        f.state = 1;
        return true;
      }
      return false;
    }
    case Frame::Kind::array: {
      const SchemaNode* items = f.schema ? f.schema->items.get() : nullptr;
      if ((f.state == 0 || f.state == 3) && c == ']') {
        pop();
        return true;
      }
      if (f.state == 3 && c == ',') {
        f.state = 2;
        Frame v{Frame::Kind::value};
        v.schema = items;
        stack_.push_back(std::move(v));
        return true;
      }
      if (f.state == 0) {
        f.state = 2;
        Frame v{Frame::Kind::value};
        v.schema = items;
        stack_.push_back(std::move(v));
        return step(c);
      }
      return false;
    }
  }
  return false;
}

std::string JsonRecognizer::min_value(const SchemaNode* s) {
  using T = SchemaNode::Type;
  if (!s) return "0";
  switch (s->type) {
    case T::any:
      return "0";
    case T::object: {
      std::string out = "{";
      for (size_t i = 0; i < s->required.size(); ++i) {
        if (i) out += ",";
        out += "\"" + s->required[i] + "\":" + min_value(property(s, s->required[i]));
      }
      return out + "}";
    }
    case T::array:
      return "[]";
    case T::string:
      return "\"\"";
    case T::number:
    case T::integer:
      return "0";
    case T::boolean:
      return "true";
    case T::enumeration:
      return shortest_with_prefix(s->literals, "");
  }
  return "0";
}

// What frame i still needs once the frames above it are complete.
std::string JsonRecognizer::tail(size_t i) const {
  const Frame& f = stack_[i];
  switch (f.kind) {
    case Frame::Kind::value:
      return min_value(f.schema);
    case Frame::Kind::string: {
      std::string out = f.state == 1 ? "n" : "";
      if (f.is_key && has_properties(stack_[i - 1].schema)) {
        std::vector<std::string> keys;
        const Frame& obj = stack_[i - 1];
        for (const auto& [k, v] : obj.schema->properties)
          if (std::find(obj.seen.begin(), obj.seen.end(), k) == obj.seen.end()) keys.push_back(k);
        out += shortest_with_prefix(keys, f.text).substr(f.text.size());
      }
      return out + "\"";
    }
    case Frame::Kind::number: {
      const int st = number_state(f.text, f.schema && f.schema->type == SchemaNode::Type::integer);
      return terminal(st) ? "" : "0";
    }
    case Frame::Kind::literal:
      return shortest_with_prefix(f.candidates, f.text).substr(f.text.size());
    case Frame::Kind::array:
      return "]";
    case Frame::Kind::object: {
      const SchemaNode* s = f.schema;
      std::vector<std::string> done = f.seen;
      std::string out;
      std::string key = f.key;
      if (f.state == 1 || f.state == 2) {
        if (f.state == 2) {  // the key being read (the string frame above completes it)
          std::vector<std::string> keys;
          if (has_properties(s))
            for (const auto& [k, v] : s->properties)
              if (std::find(done.begin(), done.end(), k) == done.end()) keys.push_back(k);
          key = has_properties(s) ? shortest_with_prefix(keys, stack_[i + 1].text) : stack_[i + 1].text;
        } else {  // a key must follow the comma
          key = "_";
          if (s)
            for (const auto& r : s->required)
              if (std::find(done.begin(), done.end(), r) == done.end()) {
                key = r;
                break;
              }
          if (key == "_" && has_properties(s))
            for (const auto& [k, v] : s->properties)
              if (std::find(done.begin(), done.end(), k) == done.end()) {
                key = k;
                break;
              }
          out += "\"" + key + "\"";
        }
        out += ":" + min_value(property(s, key));
        done.push_back(key);
      } else if (f.state == 3) {
        out += ":" + min_value(property(s, key));
        done.push_back(key);
      } else if (f.state == 5) {
        done.push_back(key);
      }
      bool first = f.state == 0;
      if (s)
        for (const auto& r : s->required)
          if (std::find(done.begin(), done.end(), r) == done.end()) {
            out += (first ? "" : ",") + ("\"" + r + "\":") + min_value(property(s, r));
            first = false;
          }
      return out + "}";
    }
  }
  return "";
}

std::string JsonRecognizer::minimal_completion() const {
  if (done_) return "";
  std::string out;
  for (size_t i = stack_.size(); i-- > 0;) out += tail(i);
  return out;
}

}  // namespace lw::serve
