#include <gtest/gtest.h>

#include "demo/corpus.hpp"
#include "text/utf8.hpp"
#include "text/words.hpp"

namespace {

using namespace lw::demo;

TEST(DemoCorpus, ExactWordCounts) {
  std::mt19937_64 rng(3);
  for (Lang lang : {Lang::en, Lang::zh}) {
    for (int64_t n : {1, 2, 7, 50, 333, 2999}) {
      std::string t = generate_text(lang, random_topic(lang, rng), n, rng);
      EXPECT_EQ(lw::text::count_words(t), n) << (lang == Lang::en ? "en " : "zh ") << n << ": " << t.substr(0, 200);
      EXPECT_TRUE(lw::text::is_valid(t));
    }
  }
}

TEST(DemoCorpus, ParagraphsAndDistribution) {
  CorpusOptions o;
  o.count = 300;
  o.min_words = 100;
  o.max_words = 3000;
  o.seed = 9;
  auto ex = generate_corpus(o);
  ASSERT_EQ(ex.size(), 300u);
  int zh = 0, long_ones = 0;
  for (const auto& e : ex) {
    EXPECT_GE(e.target_words, 100);
    EXPECT_LE(e.target_words, 3000);
    EXPECT_EQ(e.target_words % 10, 0);
    EXPECT_EQ(lw::text::count_words(e.response), e.target_words);
    EXPECT_NE(e.instruction.find(std::to_string(e.target_words)), std::string::npos);
    if (e.lang == Lang::zh) ++zh;
    if (e.target_words >= 1000) {
      ++long_ones;
      EXPECT_NE(e.response.find("\n\n"), std::string::npos) << "long texts have paragraphs";
    }
  }
  EXPECT_GT(zh, 30);
  EXPECT_LT(zh, 130);
  EXPECT_GT(long_ones, 50);
  // Deterministic for a seed.
  auto again = generate_corpus(o);
  EXPECT_EQ(again[17].response, ex[17].response);
}

}  // namespace
