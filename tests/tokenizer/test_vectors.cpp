// Exactness against the llama.cpp / HF reference test vectors in the shared data:
// ggml-vocab-*.gguf.inp holds cases separated by "\n__ggml_vocab_test__\n", .out one line of ids
// per case.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/gguf.hpp"
#include "tokenizer/loaders.hpp"
#include "tokenizer/tokenizer.hpp"
#include "vector_cases.hpp"

namespace {

namespace fs = std::filesystem;
using lw::tok::TokenId;

using lw::testing::vocab_dir;

std::vector<lw::testing::VocabCase> read_cases(const std::string& vocab) {
  return lw::testing::read_vocab_cases(vocab);
}

class VocabVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabVectors, ExactIdsAndRoundTrip) {
  const std::string vocab = GetParam();
  auto tok = lw::tok::load_tokenizer(vocab_dir() / vocab);
  auto cases = read_cases(vocab);
  ASSERT_EQ(cases.size(), 46u);
  int mismatches = 0;
  for (const auto& c : cases) {
    auto ids = tok->encode(c.text);
    EXPECT_EQ(ids, c.ids) << "text: [" << c.text << "]";
    mismatches += ids != c.ids;
    EXPECT_EQ(tok->decode(ids), c.text) << "round trip of [" << c.text << "]";
    // Streaming decode gives the same text, piece by piece, never half a character.
    lw::tok::StreamDecoder sd(*tok);
    std::string streamed;
    for (TokenId id : ids) streamed += sd.push(id);
    streamed += sd.flush();
    EXPECT_EQ(streamed, c.text);
  }
  EXPECT_EQ(mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(Gguf, VocabVectors,
                         ::testing::Values("ggml-vocab-gpt-2.gguf", "ggml-vocab-deepseek-coder.gguf",
                                           "ggml-vocab-llama-spm.gguf"),
                         [](const auto& info) {
                           std::string n = info.param.substr(11, info.param.size() - 16);
                           for (char& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

TEST(VocabVectors, SpmKindAndSpecials) {
  auto tok = lw::tok::load_tokenizer(vocab_dir() / "ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(tok->kind(), "spm");
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->token_to_id("<s>"), 1);
  EXPECT_TRUE(tok->is_special(1));
  // "<s>" in text is a special only when allowed.
  EXPECT_EQ(tok->encode("<s>Hi", true).front(), 1);
  EXPECT_NE(tok->encode("<s>Hi", false).front(), 1);
}

TEST(VocabVectors, Gpt2KindAndIds) {
  auto tok = lw::tok::load_tokenizer(vocab_dir() / "ggml-vocab-gpt-2.gguf");
  EXPECT_EQ(tok->kind(), "bpe");
  EXPECT_EQ(tok->vocab_size(), 50257);
  EXPECT_EQ(tok->id_to_token(31373), "hello");
  EXPECT_EQ(tok->token_to_id("Ġworld"), 995);
  EXPECT_EQ(tok->token_bytes(995), " world");
}

}  // namespace
