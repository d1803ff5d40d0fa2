#include <gtest/gtest.h>

#include <fmt/format.h>

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
      EXPECT_EQ(lw::text::count_words(t), n)
          << (lang == Lang::en ? "en " : "zh ") << n << ": " << t.substr(0, 200);
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
    if (e.target_words >= 1000) ++long_ones;
  }
  EXPECT_GT(zh, 30);
  EXPECT_LT(zh, 130);
  EXPECT_GT(long_ones, 50);
  // Deterministic for a seed.
  auto again = generate_corpus(o);
  EXPECT_EQ(again[17].response, ex[17].response);
}

// English texts count down: one 50-word block per line, opened by "§ R" with R the words still to
// write, five sentences from "First" to "Finally"; the last block opens with "Lastly" (only it) and
// takes what is left.
TEST(DemoCorpus, EnglishBlocksCarryTheCountdown) {
  std::mt19937_64 rng(5);
  for (int64_t n : {50, 120, 1000}) {
    const std::string t = generate_text(Lang::en, "rivers", n, rng);
    std::vector<std::string> lines;
    for (size_t start = 0; start <= t.size();) {
      size_t nl = t.find('\n', start);
      if (nl == std::string::npos) nl = t.size();
      lines.push_back(t.substr(start, nl - start));
      start = nl + 1;
    }
    ASSERT_EQ(static_cast<int64_t>(lines.size()), (n + kBlockWords - 1) / kBlockWords) << t;
    int64_t left = n;
    for (const auto& line : lines) {
      const char* opener = left <= 10 ? "Finally" : left <= kBlockWords ? "Lastly" : "First";
      EXPECT_EQ(line.rfind(fmt::format("§ {} {}, the ", left, opener), 0), 0u) << line;
      const int64_t words = lw::text::count_words(line);
      EXPECT_EQ(words, std::min(left, kBlockWords)) << line;
      if (words == kBlockWords) {
        for (const char* o : {". Then, the ", ". Also, the ", ". Still, the ", ". Finally, the "})
          EXPECT_NE(line.find(o), std::string::npos) << o << " in " << line;
      }
      EXPECT_EQ(line.substr(line.size() - 8), " rivers.") << line;
      left -= words;
    }
    EXPECT_EQ(left, 0);
    EXPECT_EQ(t.find("Lastly"), t.rfind("Lastly")) << "one last block";
  }
}

}  // namespace
