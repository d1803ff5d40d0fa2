// The response_format recognizer (serve/json_constraint.hpp): what it accepts and refuses, and that
// every prefix of a valid document plus its minimal completion parses and matches the schema.
#include <gtest/gtest.h>

#include "json_schema_check.hpp"
#include "serve/json_constraint.hpp"
#include "util/error.hpp"

using namespace lw::serve;
using Json = nlohmann::json;

namespace {

const Json kSchema = Json::parse(R"({
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "age": {"type": "integer"},
    "score": {"type": "number"},
    "ok": {"type": "boolean"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "color": {"enum": ["red", "green", 3]},
    "inner": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}
  },
  "required": ["name", "inner"]
})");

bool accepts(const std::shared_ptr<const SchemaNode>& s, const std::string& text) {
  JsonRecognizer r(s);
  return r.feed(text) && r.complete();
}

}  // namespace

TEST(JsonConstraint, AcceptsValidDocumentsAndRefusesOthers) {
  auto s = parse_json_schema(kSchema);
  EXPECT_TRUE(accepts(s, R"({"name":"Ann","inner":{"x":1.5}})"));
  EXPECT_TRUE(
      accepts(s, R"({ "inner": {"x": -2e3}, "name": "A\"b", "tags": ["a", "b"], "color": 3, "ok": false })"));
  EXPECT_TRUE(accepts(s, R"({"name":"","inner":{"x":0},"age":42,"score":0.5,"color":"green"})"));
  EXPECT_FALSE(accepts(s, R"({"name":"Ann"})"));                             // inner is required
  EXPECT_FALSE(accepts(s, R"({"name":"Ann","inner":{"x":1},"age":1.5})"));   // not an integer
  EXPECT_FALSE(accepts(s, R"({"name":"Ann","inner":{"x":1},"other":1})"));   // unknown key
  EXPECT_FALSE(accepts(s, R"({"name":"Ann","name":"B","inner":{"x":1}})"));  // a key twice
  EXPECT_FALSE(accepts(s, R"({"name":"Ann","inner":{"x":1},"color":"blue"})"));
  EXPECT_FALSE(accepts(s, R"({"name":1,"inner":{"x":1}})"));
  EXPECT_FALSE(accepts(s, R"({"name":"Ann","inner":{"x":1}} )"));  // nothing after the value
  EXPECT_FALSE(accepts(s, R"({"name":"Ann","inner":{"x":01}})"));
  EXPECT_FALSE(accepts(s, "{     \"name\":\"a\",\"inner\":{\"x\":1}}"));  // whitespace runs are capped
  auto obj = any_json_object();
  EXPECT_TRUE(accepts(obj, R"({"a":[1,{"b":null}],"c":true,"d":"x"})"));
  EXPECT_TRUE(accepts(obj, "{}"));
  EXPECT_FALSE(accepts(obj, "[1]"));
  EXPECT_FALSE(accepts(obj, R"({"a":tru})"));
  EXPECT_THROW(parse_json_schema(Json::parse(R"({"anyOf":[{"type":"string"}]})")), lw::InputError);
  EXPECT_THROW(parse_json_schema(Json::parse(R"({"type":"null"})")), lw::InputError);
  EXPECT_THROW(parse_json_schema(Json::parse(R"({"properties":{"a":{}},"required":["b"]})")), lw::InputError);
}

TEST(JsonConstraint, EveryPrefixPlusItsMinimalCompletionParsesAndMatches) {
  auto s = parse_json_schema(kSchema);
  for (const std::string doc :
       {R"({ "inner": {"x": -2.5e+3}, "name": "A\"b", "tags": ["a", "b"], "color": "red", "ok": true })",
        R"({"tags":[],"age":-7,"name":"n","color":3,"score":10,"inner":{"x":0}})"}) {
    for (size_t n = 0; n <= doc.size(); ++n) {
      JsonRecognizer r(s);
      ASSERT_TRUE(r.feed(doc.substr(0, n))) << doc.substr(0, n);
      const std::string full = doc.substr(0, n) + r.minimal_completion();
      JsonRecognizer check(s);
      EXPECT_TRUE(check.feed(full) && check.complete()) << full;
      Json v = Json::parse(full, nullptr, false);
      ASSERT_FALSE(v.is_discarded()) << full;
      EXPECT_TRUE(lw::testing::matches_schema(v, kSchema)) << full;
    }
  }
  auto obj = any_json_object();
  const std::string doc = R"({"a": [1, {"b": null}], "c": tru)";
  for (size_t n = 0; n <= doc.size(); ++n) {
    JsonRecognizer r(obj);
    ASSERT_TRUE(r.feed(doc.substr(0, n)));
    const std::string full = doc.substr(0, n) + r.minimal_completion();
    EXPECT_TRUE(Json::parse(full, nullptr, false).is_object()) << full;
  }
}
