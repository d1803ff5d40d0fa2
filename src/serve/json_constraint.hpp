#pragma once
// Constrained decoding for response_format (json_object, json_schema): an incremental recognizer of
// compact-ish JSON over the reply's bytes, with a subset of JSON Schema (object with properties /
// required, string, number, integer, boolean, array with items, enum). The scheduler keeps one per
// sequence and masks every token whose bytes the recognizer would refuse, or after which the value
// could no longer be completed within the tokens left, so the reply always parses; it ends the
// reply as soon as the value is complete.
//
// Limits: strings hold printable ASCII and the escapes \" \\ \/ \b \f \n \r \t (no \u); numbers have at most
// 15 characters (exact as doubles); at most 2 whitespace characters in a row between tokens of the JSON;
// objects with properties accept only those keys (additionalProperties false), each once.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::serve {

struct SchemaNode {
  enum class Type { any, object, array, string, number, integer, boolean, enumeration };
  Type type = Type::any;
  std::vector<std::pair<std::string, std::shared_ptr<const SchemaNode>>> properties;  // object
  std::vector<std::string> required;                                                  // object
  std::shared_ptr<const SchemaNode> items;                                            // array (null: any)
  std::vector<std::string> literals;  // enum: each value as compact JSON text
};

// The schema subset; throws InputError naming what is not supported.
std::shared_ptr<const SchemaNode> parse_json_schema(const nlohmann::json& schema);
// json_object: an object with any keys and values.
std::shared_ptr<const SchemaNode> any_json_object();

class JsonRecognizer {
 public:
  explicit JsonRecognizer(std::shared_ptr<const SchemaNode> root);
  // Feeds bytes; false when one is refused (the recognizer is then in an unspecified state: feed a
  // copy to test a token).
  bool feed(std::string_view bytes);
  // The top-level value is complete (nothing more may follow).
  bool complete() const;
  // The shortest text that completes the value from here.
  std::string minimal_completion() const;

 private:
  struct Frame {
    enum class Kind { value, object, array, string, number, literal } kind;
    const SchemaNode* schema = nullptr;
    int state = 0;
    std::string text{};                     // key so far, number so far, literal so far
    std::vector<std::string> seen{};        // object: keys done
    std::string key{};                      // object: the key whose value is being read
    std::vector<std::string> candidates{};  // literal: what it may become
    bool is_key = false;                    // string: an object key
  };
  bool step(char c);
  void pop();  // the top frame is complete: tell its parent
  bool start_value(Frame& f, char c);
  static std::string min_value(const SchemaNode* s);
  std::string tail(size_t i) const;

  std::shared_ptr<const SchemaNode> root_;
  std::vector<Frame> stack_;
  bool done_ = false;
  int ws_ = 0;
};

}  // namespace lw::serve
