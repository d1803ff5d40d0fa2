#include <gtest/gtest.h>

#include "text/words.hpp"
#include "util/error.hpp"

namespace {

struct Case {
  const char* name;
  std::string text;
  int64_t words;
};

class CountWords : public ::testing::TestWithParam<Case> {};

TEST_P(CountWords, MatchesLongBenchSemantics) {
  const Case& c = GetParam();
  EXPECT_EQ(lw::text::count_words(c.text), c.words) << c.name << ": \"" << c.text << "\"";
}

// Expected values follow Python 3: len(re.findall(r'[\u4e00-\u9fff]', t)) +
// len(re.findall(r'\b[a-zA-Z]+\b', t)).
INSTANTIATE_TEST_SUITE_P(
    Table, CountWords,
    ::testing::Values(
        Case{"empty", "", 0}, Case{"spaces", "  \n\t ", 0}, Case{"one", "hello", 1},
        Case{"sentence", "The quick brown fox jumps.", 5}, Case{"cafe", "café", 0},
        Case{"cafe_in_sentence", "a café here", 2}, Case{"dont", "don't", 2},
        Case{"cjk_then_latin", "中文abc", 2}, Case{"latin_then_cjk", "abc中文", 2},
        Case{"cjk_spaced", "中文 abc", 3}, Case{"underscore", "abc_def", 0},
        Case{"naive", "naïve", 0}, Case{"digits_attached", "abc123", 0},
        Case{"digits_alone", "123 456", 0}, Case{"digit_then_word", "3 apples", 1},
        Case{"hyphen", "well-known", 2}, Case{"cjk_punct", "你好，世界。", 4},
        Case{"fullwidth_latin", "ＡＢＣ abc", 1},  // full-width letters are word chars, not [a-zA-Z]
        Case{"emoji_between", "hi😀there", 2}, Case{"cyrillic_next", "abcпривет", 0},
        Case{"cyrillic_alone", "привет мир", 0}, Case{"greek_spaced", "alpha α beta", 2},
        Case{"cjk_ext_a_not_counted", "\xE3\x90\x80", 0},  // U+3400 is outside U+4E00..U+9FFF
        Case{"cjk_bounds", "\xE4\xB8\x80\xE9\xBF\xBF", 2},  // U+4E00, U+9FFF
        Case{"hiragana_glued", "ひらがなabc", 0}, Case{"markdown", "## Title\n\n**bold** text", 3},
        Case{"url", "https://example.com/a_b", 3},  // https, example, com; a_b is one word
        Case{"invalid_utf8_separates", "abc\xFF" "def", 2},
        Case{"invalid_utf8_alone", "\xC3\x28", 0}, Case{"truncated_utf8", "abc \xE4\xB8", 1},
        Case{"nbsp", "one\xC2\xA0two", 2}, Case{"combining_mark", "e\xCC\x81t\xC3\xA9", 1}),  // U+0301 (Mn) is not a word char
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(CountWords, LongTextIsLinear) {
  std::string s;
  for (int i = 0; i < 200000; ++i) s += "word ";
  EXPECT_EQ(lw::text::count_words(s), 200000);
}

TEST(LengthScore, Formula) {
  using lw::text::length_score;
  EXPECT_DOUBLE_EQ(length_score(1000, 1000), 100.0);
  EXPECT_DOUBLE_EQ(length_score(1000, 2000), 100.0 * (1 - 1.0 / 3));
  EXPECT_DOUBLE_EQ(length_score(1000, 4000), 0.0);
  EXPECT_DOUBLE_EQ(length_score(1000, 9000), 0.0);
  EXPECT_DOUBLE_EQ(length_score(1000, 500), 50.0);
  EXPECT_DOUBLE_EQ(length_score(1000, 333), 0.0);
  EXPECT_DOUBLE_EQ(length_score(1000, 0), 0.0);
  EXPECT_NEAR(length_score(100, 150), 100.0 * (1 - 0.5 / 3), 1e-12);
}

TEST(LengthScore, RejectsNonPositiveRequired) {
  EXPECT_THROW(lw::text::length_score(0, 10), lw::InputError);
  EXPECT_THROW(lw::text::length_score(-5, 10), lw::InputError);
}

}  // namespace
