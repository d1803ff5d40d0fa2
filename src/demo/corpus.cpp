#include "demo/corpus.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "util/error.hpp"

namespace lw::demo {
namespace {

using Words = std::vector<std::string_view>;

// One word each: a topic closes every English sentence, so sentences keep exactly ten words.
const Words kTopicsEn = {"rivers",  "mountains", "bridges",   "gardens", "storms",    "lighthouses",
                         "markets", "railways",  "libraries", "forests", "harbours",  "deserts",
                         "bees",    "clocks",    "bicycles",  "islands", "festivals", "castles"};
const Words kTopicsZh = {"河流", "高山", "古桥",   "花园", "冬天", "灯塔",
                         "市场", "铁路", "图书馆", "森林", "港口", "沙漠"};

const Words kAdj = {"quiet",   "bright",  "ancient", "small",   "restless", "gentle",
                    "hidden",  "distant", "warm",    "broad",   "silver",   "narrow",
                    "patient", "steady",  "golden",  "careful", "open",     "early"};
const Words kNoun = {"path",   "valley", "window", "village", "season", "traveller", "lantern",
                     "story",  "wall",   "field",  "garden",  "stone",  "morning",   "river",
                     "keeper", "road",   "market", "song",    "shadow", "tower",     "boat",
                     "door",   "hill",   "crowd",  "letter",  "map"};
const Words kVerb = {"follows", "shapes", "crosses", "guards",  "remembers", "carries", "watches", "changes",
                     "greets",  "holds",  "opens",   "reaches", "circles",   "warms",   "lights",  "finds"};
const Words kPrep = {"near", "across", "under", "beyond", "along", "behind", "over", "toward"};

const Words kZhSubj = {"老人", "孩子", "旅人", "渔夫", "农民", "诗人", "商人", "学生", "村民", "工匠"};
const Words kZhPlace = {"山谷", "河边", "城里", "小镇", "田野", "桥上", "港口", "林中", "路旁", "湖畔"};
const Words kZhVerb = {"看见", "记得", "走过", "守护", "寻找", "唱起", "写下", "等待", "点亮", "打开"};
const Words kZhObj = {"灯光", "故事", "小路", "花朵", "船只", "钟声", "书信", "石墙", "风景", "歌声"};
const Words kZhAdv = {"慢慢", "常常", "静静", "总是", "依然", "悄悄"};

template <typename T>
const T& pick(const std::vector<T>& v, std::mt19937_64& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

int64_t uniform(int64_t lo, int64_t hi, std::mt19937_64& rng) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// The five sentence openers of a block, in order: the word itself tells where in the block a
// sentence stands. The last block opens with kLastOpener instead, once per text, so "stop at the
// end of this block" is a word the model has written, not a count it has to keep.
const Words kOpeners = {"First", "Then", "Also", "Still", "Finally"};
constexpr std::string_view kLastOpener = "Lastly";

// One sentence of exactly ten words (count_words):
//   OPENER, the ADJ NOUN VERB the ADJ NOUN PREP TOPIC.
std::vector<std::string> sentence_en(std::string_view opener, const std::string& topic,
                                     std::mt19937_64& rng) {
  std::vector<std::string> w;
  w.push_back(std::string(opener) + ",");
  w.emplace_back("the");
  w.emplace_back(pick(kAdj, rng));
  w.emplace_back(pick(kNoun, rng));
  w.emplace_back(pick(kVerb, rng));
  w.emplace_back("the");
  w.emplace_back(pick(kAdj, rng));
  w.emplace_back(pick(kNoun, rng));
  w.emplace_back(pick(kPrep, rng));
  w.push_back(topic);
  return w;
}

// English text in blocks of kBlockWords words, one block per line. Each block opens with a
// progress marker "§ R" (R: the words still to write, this block's included; neither '§' nor
// digits are words for count_words) and holds five ten-word sentences opened by
// First/Then/Also/Still/Finally (the last block: Lastly/Then/...). A model of a million parameters
// cannot count two thousand words in its head; with the marker it only has to copy the requested
// number into the first block, step it down by 50 per block, and stop after the block it opened
// with "Lastly" (docs/demo.md).
std::string text_en(const std::string& topic, int64_t words, std::mt19937_64& rng) {
  std::string out;
  int64_t left = words;
  while (left > 0) {
    if (!out.empty()) out += '\n';
    out += fmt::format("§ {}", left);
    const int64_t block = std::min(left, kBlockWords);
    const bool final_block = block == left;
    int64_t in_block = 0;
    for (size_t i = 0; in_block < block; ++i) {
      // A short block ends on "Finally" too; the text's last block opens with "Lastly".
      const bool last = in_block + 10 >= block;
      std::string_view opener = last ? kOpeners.back() : kOpeners[std::min(i, kOpeners.size() - 2)];
      if (i == 0 && final_block && !last) opener = kLastOpener;
      auto s = sentence_en(opener, topic, rng);
      if (static_cast<int64_t>(s.size()) > block - in_block) s.resize(static_cast<size_t>(block - in_block));
      if (s.back().back() == ',') s.back().pop_back();
      s.back() += ".";
      for (const auto& x : s) out += ' ' + x;
      in_block += static_cast<int64_t>(s.size());
    }
    left -= block;
  }
  return out;
}

// Counts the CJK ideographs of a UTF-8 string made of 3-byte characters only.
int64_t zh_len(std::string_view s) {
  return static_cast<int64_t>(s.size() / 3);
}

std::string text_zh(const std::string& topic, int64_t words, std::mt19937_64& rng) {
  // Sentences are built from two-character words plus the topic; CJK punctuation does not count.
  std::string out;
  int64_t written = 0;
  int64_t para_left = uniform(60, 120, rng);
  while (written < words) {
    std::string s = std::string(pick(kZhSubj, rng)) + "在" + std::string(pick(kZhPlace, rng)) +
                    std::string(pick(kZhAdv, rng)) + std::string(pick(kZhVerb, rng)) +
                    std::string(pick(kZhObj, rng));
    if (uniform(0, 1, rng)) s += "，也想起" + topic;
    // Drop the comma's bytes from the count: it is 3 bytes but not an ideograph.
    int64_t n = zh_len(s) - (s.find("，") != std::string::npos ? 1 : 0);
    int64_t left = words - written;
    if (n > left) {
      // Cut to exactly `left` ideographs (strip the comma first).
      std::string plain;
      for (size_t i = 0; i + 3 <= s.size(); i += 3) {
        std::string_view ch(s.data() + i, 3);
        if (ch != "，") plain.append(ch);
      }
      s = plain.substr(0, static_cast<size_t>(left) * 3);
      n = left;
    }
    out += s + "。";
    written += n;
    para_left -= n;
    if (para_left <= 0 && written < words) {
      out += "\n\n";
      para_left = uniform(60, 120, rng);
    }
  }
  return out;
}

}  // namespace

std::string random_topic(Lang lang, std::mt19937_64& rng) {
  return std::string(lang == Lang::en ? pick(kTopicsEn, rng) : pick(kTopicsZh, rng));
}

std::string make_instruction(Lang lang, const std::string& topic, int64_t words, std::mt19937_64& rng) {
  if (lang == Lang::zh) {
    switch (uniform(0, 1, rng)) {
      case 0:
        return fmt::format("写一篇关于{}的文章，{}字。", topic, words);
      default:
        return fmt::format("请以{}为题写{}字。", topic, words);
    }
  }
  switch (uniform(0, 2, rng)) {
    case 0:
      return fmt::format("Write about {} in {} words.", topic, words);
    case 1:
      return fmt::format("Write a {}-word text about {}.", words, topic);
    default:
      return fmt::format("Please write {} words on {}.", words, topic);
  }
}

std::string generate_text(Lang lang, const std::string& topic, int64_t words, std::mt19937_64& rng) {
  if (words <= 0) fail_input("demo corpus: target length must be positive, got {}", words);
  return lang == Lang::en ? text_en(topic, words, rng) : text_zh(topic, words, rng);
}

std::vector<Example> generate_corpus(const CorpusOptions& o) {
  if (o.min_words <= 0 || o.max_words < o.min_words)
    fail_input("demo corpus: need 0 < min_words <= max_words, got {}..{}", o.min_words, o.max_words);
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::vector<Example> out;
  out.reserve(static_cast<size_t>(o.count));
  const double lo = std::log(static_cast<double>(o.min_words)),
               hi = std::log(static_cast<double>(o.max_words));
  for (int64_t i = 0; i < o.count; ++i) {
    Example e;
    e.lang = u01(rng) < o.zh_share ? Lang::zh : Lang::en;
    e.topic = random_topic(e.lang, rng);
    double w = std::exp(lo + (hi - lo) * u01(rng));
    int64_t r = std::max<int64_t>(1, o.round_to);
    e.target_words = std::clamp<int64_t>(static_cast<int64_t>(std::llround(w / static_cast<double>(r))) * r,
                                         o.min_words, o.max_words);
    e.instruction = make_instruction(e.lang, e.topic, e.target_words, rng);
    e.response = generate_text(e.lang, e.topic, e.target_words, rng);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace lw::demo
