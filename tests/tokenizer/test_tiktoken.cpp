#include <gtest/gtest.h>

#include <filesystem>

#include "tokenizer/bpe_tokenizer.hpp"
#include "tokenizer/loaders.hpp"
#include "tokenizer/tokenizer.hpp"
#include "text/utf8.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <random>
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using lw::tok::TokenId;

const lw::tok::Tokenizer& cl100k() {
  static auto tok = lw::tok::load_tokenizer(lw::testing::data_file("vocab/cl100k_base.tiktoken"));
  return *tok;
}

TEST(Tiktoken, HelloWorld) {
  EXPECT_EQ(cl100k().encode("hello world"), (std::vector<TokenId>{15339, 1917}));
  EXPECT_EQ(cl100k().decode(std::vector<TokenId>{15339, 1917}), "hello world");
  EXPECT_EQ(cl100k().kind(), "bpe");
  EXPECT_EQ(cl100k().vocab_size(), 100277);
}

TEST(Tiktoken, KnownEncodings) {
  // Reference ids from tiktoken's cl100k_base.
  EXPECT_EQ(cl100k().encode("Hello, world!"), (std::vector<TokenId>{9906, 11, 1917, 0}));
  EXPECT_EQ(cl100k().encode(""), (std::vector<TokenId>{}));
  EXPECT_EQ(cl100k().encode(" "), (std::vector<TokenId>{220}));
  EXPECT_EQ(cl100k().encode("1234567"), (std::vector<TokenId>{4513, 10961, 22}));
}

TEST(Tiktoken, SpecialTokensOnlyWhenAllowed) {
  const auto& t = cl100k();
  auto eot = t.token_to_id("<|endoftext|>");
  ASSERT_TRUE(eot);
  EXPECT_EQ(*eot, 100257);
  EXPECT_TRUE(t.is_special(100257));
  EXPECT_EQ(t.eos_id(), 100257);
  auto allowed = t.encode("hi<|endoftext|>", true);
  EXPECT_EQ(allowed.back(), 100257);
  auto plain = t.encode("hi<|endoftext|>", false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 100257), 0);
  EXPECT_EQ(t.decode(plain), "hi<|endoftext|>");
  EXPECT_EQ(t.decode(allowed), "hi<|endoftext|>");
  auto stops = t.stop_ids();
  EXPECT_NE(std::find(stops.begin(), stops.end(), 100257), stops.end());
}

TEST(Tiktoken, MultilingualRoundTrip) {
  const std::vector<std::string> texts = {
      "我想在apple工作1314151天～ 你好，世界！",
      "emoji: 🦙🚀😶‍🌫️✅ and flags 🇫🇷",
      "int main() {\n\treturn x->y[3] >= 0 ? 1 : -1;  // ok\n}\n",
      "Ελληνικά, русский, العربية, हिन्दी, 日本語のテキスト",
      "   leading and trailing   \n\n\n  ",
      std::string("bytes \xff\xfe invalid \xc3 utf8"),
  };
  for (const auto& s : texts) {
    auto ids = cl100k().encode(s);
    EXPECT_EQ(cl100k().decode(ids), s);
    lw::tok::StreamDecoder sd(cl100k());
    std::string out;
    for (TokenId id : ids) {
      std::string piece = sd.push(id);
      out += piece;
    }
    out += sd.flush();
    if (lw::text::is_valid(s)) {
      EXPECT_EQ(out, s);
    }
  }
}

TEST(Tiktoken, StreamingNeverSplitsCharacters) {
  std::string s = "日本語🦙テキスト";
  auto ids = cl100k().encode(s);
  ASSERT_GT(ids.size(), 3u);
  lw::tok::StreamDecoder sd(cl100k());
  std::string out;
  for (TokenId id : ids) {
    std::string piece = sd.push(id);
    EXPECT_TRUE(lw::text::is_valid(piece)) << "piece not valid UTF-8";
    out += piece;
  }
  EXPECT_EQ(sd.flush(), "");
  EXPECT_EQ(out, s);
}

TEST(Tiktoken, LongRepetitionsEncodeAndRoundTrip) {
  // 100,000 repetitions of one character: one long piece merged with the heap path.
  for (std::string unit : {"a", "你", "!", " "}) {
    std::string s;
    for (int i = 0; i < 100000; ++i) s += unit;
    auto ids = cl100k().encode(s);
    EXPECT_LT(ids.size(), s.size());
    EXPECT_EQ(cl100k().decode(ids), s);
  }
}

TEST(Tiktoken, HeapMergeMatchesNaiveReference) {
  const auto& t = dynamic_cast<const lw::tok::BpeTokenizer&>(cl100k());
  std::mt19937 rng(7);
  const std::vector<std::string> alphabet = {"a", "b", "ab", "the", "ing", " ", "你", "好", "é", "1", "!"};
  for (int iter = 0; iter < 300; ++iter) {
    std::string s;
    int n = 1 + static_cast<int>(rng() % 60);
    for (int k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
    std::vector<TokenId> fast;
    t.encode_ordinary(s, fast);
    EXPECT_EQ(fast, t.encode_naive(s)) << s;
  }
}

TEST(Tiktoken, MalformedFilesGiveInputErrors) {
  EXPECT_THROW(lw::tok::load_tiktoken_text("", "x.tiktoken"), lw::InputError);
  EXPECT_THROW(lw::tok::load_tiktoken_text("!!!! 0\n", "x.tiktoken"), lw::InputError);
  EXPECT_THROW(lw::tok::load_tiktoken_text("YQ== abc\n", "x.tiktoken"), lw::InputError);
  EXPECT_THROW(lw::tok::load_tiktoken_text("YQ== 99999999999\n", "x.tiktoken"), lw::InputError);
  // Missing single bytes.
  EXPECT_THROW(lw::tok::load_tiktoken_text("YQ== 0\nYg== 1\n", "x.tiktoken"), lw::InputError);
  try {
    lw::tok::load_tiktoken_text("YQ== 0\nnot-base64 1\n", "x.tiktoken");
    FAIL();
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("x.tiktoken:2"), std::string::npos) << e.what();
  }
}

TEST(Tiktoken, BatchEncodingMatchesSerial) {
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back("document " + std::to_string(i) + " 你好 hello world " + std::string(i % 17, 'x'));
  auto batch = lw::tok::encode_batch(cl100k(), texts, false, 4);
  ASSERT_EQ(batch.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i], cl100k().encode(texts[i]));
}

}  // namespace
