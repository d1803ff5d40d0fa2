// response_format on the tiny random model: every reply parses and matches the schema, whatever the
// seed and however few tokens are left (the constraint closes the value in time).
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "json_schema_check.hpp"
#include "tiny_model.hpp"
#include "util/error.hpp"

namespace {

using Json = nlohmann::json;

lw::serve::LocalBackend& backend() {
  static auto* b =
      lw::serve::open_local_backend(lw::testing::tiny_model_dir(), lw::testing::tiny_options(4)).release();
  return *b;
}

}  // namespace

TEST(JsonReplies, EveryReplyParsesAndMatchesTheSchema) {
  const Json schema = Json::parse(R"({
    "type": "object",
    "properties": {
      "title": {"type": "string"},
      "year": {"type": "integer"},
      "rating": {"type": "number"},
      "done": {"type": "boolean"},
      "tags": {"type": "array", "items": {"type": "string"}},
      "kind": {"enum": ["book", "film"]}
    },
    "required": ["title", "kind"]
  })");
  int replies = 0;
  // The shortest reply, {"title":"","kind":"book"}, is 26 bytes: 28 tokens leave little room.
  for (int64_t max_tokens : {28, 60}) {
    for (int64_t seed = 0; seed < 4; ++seed) {
      lw::net::ChatRequest req;
      req.messages = {{"user", "Describe a book as JSON"}};
      req.temperature = 1.0;
      req.seed = seed;
      req.max_tokens = max_tokens;
      req.json_response = schema.dump();
      auto r = backend().complete(req);
      Json v = Json::parse(r.content, nullptr, false);
      ASSERT_FALSE(v.is_discarded()) << r.content;
      EXPECT_TRUE(lw::testing::matches_schema(v, schema)) << r.content;
      EXPECT_LE(r.usage.completion_tokens, max_tokens);
      if (seed == 0) std::cout << "reply (max_tokens " << max_tokens << "): " << r.content << "\n";
      ++replies;
    }
  }
  EXPECT_EQ(replies, 8);
  // json_object: any object.
  for (int64_t seed = 0; seed < 3; ++seed) {
    lw::net::ChatRequest req;
    req.messages = {{"user", "JSON please"}};
    req.temperature = 1.0;
    req.seed = seed;
    req.max_tokens = 24;
    req.json_response = "";
    auto r = backend().complete(req);
    Json v = Json::parse(r.content, nullptr, false);
    ASSERT_FALSE(v.is_discarded()) << r.content;
    EXPECT_TRUE(v.is_object()) << r.content;
  }
  // A schema outside the subset is refused.
  lw::net::ChatRequest bad;
  bad.messages = {{"user", "x"}};
  bad.json_response = R"({"anyOf":[{"type":"string"}]})";
  EXPECT_THROW(backend().complete(bad), lw::InputError);
}
