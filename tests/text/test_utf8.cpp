#include <gtest/gtest.h>

#include <random>

#include "text/utf8.hpp"

namespace {

using namespace lw::text;

TEST(Utf8, RoundTripValid) {
  std::string s = "héllo 中文 😀";
  EXPECT_TRUE(is_valid(s));
  EXPECT_EQ(encode(decode(s)), s);
  EXPECT_EQ(sanitize(s), s);
}

TEST(Utf8, InvalidBecomesReplacement) {
  EXPECT_EQ(sanitize("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  // Overlong encoding of '/' and a surrogate are invalid.
  EXPECT_FALSE(is_valid("\xC0\xAF"));
  EXPECT_FALSE(is_valid("\xED\xA0\x80"));
  // A truncated 3-byte sequence is one maximal subpart → one U+FFFD.
  EXPECT_EQ(decode("\xE4\xB8"), std::vector<char32_t>{kReplacementChar});
  EXPECT_TRUE(is_valid("\xEF\xBF\xBD"));
}

TEST(Utf8, CompletePrefixForStreaming) {
  std::string s = "ab中";  // 中 = E4 B8 AD
  EXPECT_EQ(complete_prefix_length(s), s.size());
  EXPECT_EQ(complete_prefix_length(s.substr(0, 4)), 2u);
  EXPECT_EQ(complete_prefix_length(s.substr(0, 3)), 2u);
  EXPECT_EQ(complete_prefix_length("a\xFF"), 2u);  // invalid: nothing to wait for
}

TEST(Utf8, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s(rng() % 32, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    std::string clean = sanitize(s);
    EXPECT_TRUE(is_valid(clean));
    EXPECT_LE(complete_prefix_length(s), s.size());
  }
}

}  // namespace
