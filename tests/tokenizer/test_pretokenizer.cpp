#include "tokenizer/pretokenizer.hpp"

#include <gtest/gtest.h>

#include "tokenizer/byte_level.hpp"
#include "util/error.hpp"

namespace {

using lw::tok::Piece;
using lw::tok::PreTokenizer;

std::vector<std::string> split(const PreTokenizer& p, const std::string& text) {
  std::vector<Piece> pieces;
  p.split(text, pieces);
  std::vector<std::string> out;
  for (auto [b, e] : pieces) out.push_back(text.substr(b, e - b));
  return out;
}

TEST(PreTokenizer, EveryGgufPresetCompilesAndCoversTheText) {
  const std::string text = "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～\n\n  \t x=3.14;\xff\xfe end  ";
  for (const auto& name : PreTokenizer::gguf_pre_names()) {
    PreTokenizer p = PreTokenizer::for_gguf_pre(name, "t.gguf");
    EXPECT_FALSE(p.empty()) << name;
    std::string joined;
    for (const auto& s : split(p, text)) {
      EXPECT_FALSE(s.empty()) << name;
      joined += s;
    }
    EXPECT_EQ(joined, text) << name;
  }
  EXPECT_THROW(PreTokenizer::for_gguf_pre("nope", "t.gguf"), lw::InputError);
}

TEST(PreTokenizer, Llama3Pattern) {
  PreTokenizer p;
  p.add_split(lw::tok::patterns::kLlama3);
  EXPECT_EQ(split(p, "Hello world's 12345 !!\n\n  x"),
            (std::vector<std::string>{"Hello", " world", "'s", " ", "123", "45", " !!\n\n", " ", " x"}));
  EXPECT_EQ(split(p, "I'M here"), (std::vector<std::string>{"I", "'M", " here"}));
}

TEST(PreTokenizer, Gpt2PatternIsCaseSensitiveOnContractions) {
  PreTokenizer p;
  p.add_split(lw::tok::patterns::kGpt2);
  EXPECT_EQ(split(p, "I'M it's"), (std::vector<std::string>{"I", "'", "M", " it", "'s"}));
}

TEST(PreTokenizer, SequenceSplitsInsidePieces) {
  PreTokenizer p;
  p.add_split(R"(\p{N})");
  p.add_split(R"( ?\p{L}+)");
  EXPECT_EQ(split(p, "ab12 cd"), (std::vector<std::string>{"ab", "1", "2", " cd"}));
}

TEST(PreTokenizer, BadRegexIsInputError) {
  PreTokenizer p;
  EXPECT_THROW(p.add_split("(unclosed"), lw::InputError);
}

TEST(ByteLevel, Gpt2Mapping) {
  EXPECT_EQ(lw::tok::byte_level_encode(" hello\n"), "ĠhelloĊ");
  EXPECT_EQ(lw::tok::byte_level_decode("ĠhelloĊ"), " hello\n");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(lw::tok::byte_level_decode(lw::tok::byte_level_encode(all)), all);
  EXPECT_FALSE(lw::tok::byte_level_decode("你").has_value());
}

}  // namespace
