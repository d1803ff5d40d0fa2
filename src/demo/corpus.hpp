#pragma once
// The miniature LongWriter's synthetic instruction corpus: "write about TOPIC in N words"
// instructions (English and Chinese) with responses of exactly N words (count_words semantics),
// produced by a small procedural grammar over built-in word lists. English responses come in
// 50-word blocks that carry a countdown marker (see generate_text). No external text is used.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace lw::demo {

enum class Lang { en, zh };

// Words per English block (five ten-word sentences).
inline constexpr int64_t kBlockWords = 50;

struct Example {
  Lang lang = Lang::en;
  std::string topic;
  int64_t target_words = 0;
  std::string instruction;
  std::string response;  // count_words(response) == target_words
};

struct CorpusOptions {
  int64_t count = 1000;
  int64_t min_words = 50;
  int64_t max_words = 300;
  int64_t round_to = 10;   // targets are multiples of this
  double zh_share = 0.25;  // fraction of Chinese examples
  uint64_t seed = 1;
};

// Generates `count` examples with targets drawn log-uniformly in [min_words, max_words].
std::vector<Example> generate_corpus(const CorpusOptions& opts);

// One instruction for a topic and target length.
std::string make_instruction(Lang lang, const std::string& topic, int64_t words, std::mt19937_64& rng);

// Text of exactly `words` words (count_words) about `topic`. English: blocks of kBlockWords words,
// one per line, each opening with "§ R" (R = words still to write) and made of five ten-word
// sentences opened by First/Then/Also/Still/Finally (the text's last block: Lastly/Then/...); the
// last block may be shorter. Chinese:
// paragraphs of 60..120 characters separated by blank lines.
std::string generate_text(Lang lang, const std::string& topic, int64_t words, std::mt19937_64& rng);

// A random topic of the language.
std::string random_topic(Lang lang, std::mt19937_64& rng);

}  // namespace lw::demo
