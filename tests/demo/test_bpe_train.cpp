#include <gtest/gtest.h>

#include "demo/bpe_train.hpp"
#include "demo/corpus.hpp"
#include "io/file.hpp"
#include "tokenizer/tokenizer.hpp"

#include <filesystem>

namespace {

using namespace lw::demo;

TEST(BpeTrain, LearnsWholeWordsOnSmallVocabulary) {
  CorpusOptions o;
  o.count = 60;
  o.min_words = 50;
  o.max_words = 200;
  auto ex = generate_corpus(o);
  std::vector<std::string> texts;
  for (auto& e : ex) {
    texts.push_back(e.instruction);
    texts.push_back(e.response);
  }
  BpeTrainOptions opts;
  opts.vocab_size = 900;
  opts.specials = {"<|im_start|>", "<|im_end|>"};
  BpeModel m = train_bpe(texts, opts);
  EXPECT_GT(m.tokens.size(), 400u);
  EXPECT_LE(m.tokens.size() + m.specials.size(), 900u);
  // Frequent words become single tokens with their leading space.
  bool has_the = false;
  for (auto& t : m.tokens) has_the |= (t == " the");
  EXPECT_TRUE(has_the);
  // Every merge's result is the concatenation of its parts, and parts precede the result.
  for (size_t i = 0; i < m.merges.size(); ++i) {
    auto [a, b] = m.merges[i];
    EXPECT_LT(static_cast<size_t>(a), 256 + i);
    EXPECT_LT(static_cast<size_t>(b), 256 + i);
    EXPECT_EQ(m.tokens[256 + i], m.tokens[a] + m.tokens[b]);
  }
  auto j = to_hf_tokenizer_json(m);
  EXPECT_EQ(j["model"]["type"], "BPE");
  EXPECT_EQ(j["added_tokens"][1]["content"], "<|im_end|>");
  EXPECT_EQ(j["added_tokens"][1]["id"], m.tokens.size() + 1);
  ASSERT_TRUE(j["model"]["vocab"].contains("Ġthe"));
  EXPECT_EQ(m.tokens[j["model"]["vocab"]["Ġthe"].get<size_t>()], " the");
  EXPECT_EQ(j["model"]["vocab"].size(), m.tokens.size());
}

TEST(BpeTrain, TokenizerJsonLoadsAndRoundTrips) {
  CorpusOptions o;
  o.count = 40;
  o.max_words = 150;
  auto ex = generate_corpus(o);
  std::vector<std::string> texts;
  for (auto& e : ex) texts.push_back(e.instruction + "\n" + e.response);
  BpeTrainOptions opts;
  opts.vocab_size = 700;
  opts.specials = {"<|im_start|>", "<|im_end|>"};
  BpeModel m = train_bpe(texts, opts);
  auto dir = std::filesystem::temp_directory_path() / "lw_demo_bpe";
  std::filesystem::create_directories(dir);
  lw::io::write_file_atomic(dir / "tokenizer.json", to_hf_tokenizer_json(m).dump());
  auto tok = lw::tok::load_tokenizer(dir / "tokenizer.json");
  EXPECT_EQ(tok->vocab_size(), static_cast<int32_t>(m.tokens.size() + 2));
  for (const auto& t : texts) {
    auto ids = tok->encode(t);
    EXPECT_EQ(tok->decode(ids), t);
    EXPECT_LT(ids.size(), t.size() / 2) << "words should be mostly single tokens";
  }
  auto sp = tok->encode("<|im_start|>user", /*allow_special=*/true);
  ASSERT_FALSE(sp.empty());
  EXPECT_EQ(sp[0], static_cast<int32_t>(m.tokens.size()));
  EXPECT_TRUE(tok->is_special(sp[0]));
}

}  // namespace
