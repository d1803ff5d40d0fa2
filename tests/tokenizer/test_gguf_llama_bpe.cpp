// A "llama-bpe" GGUF vocabulary (merge list + Llama 3 pre-tokenizer + whole-piece lookup) built
// from the cl100k_base ranks the way tiktoken vocabularies are converted to merge lists (every
// split of a token into two tokens is a merge, ordered by the token's rank) must encode exactly as
// the tiktoken rank algorithm does.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/loaders.hpp"
#include "tokenizer/tokenizer.hpp"
#include "support/shared_data.hpp"

namespace {

using lw::tok::TokenId;

TEST(GgufLlamaBpe, MergeListVocabularyMatchesTiktokenRanks) {
  auto tt = lw::tok::load_tokenizer(lw::testing::data_file("vocab/cl100k_base.tiktoken"));
  const int n_ranks = 100256;
  std::unordered_map<std::string, int> rank;
  std::vector<std::string> bytes(static_cast<size_t>(n_ranks));
  for (int id = 0; id < n_ranks; ++id) {
    bytes[static_cast<size_t>(id)] = tt->token_bytes(id);
    rank[bytes[static_cast<size_t>(id)]] = id;
  }
  struct Merge {
    int l, r, rank;
  };
  std::vector<Merge> merges;
  for (int id = 0; id < n_ranks; ++id) {
    const std::string& t = bytes[static_cast<size_t>(id)];
    std::vector<Merge> local;
    for (size_t k = 1; k < t.size(); ++k) {
      auto l = rank.find(t.substr(0, k)), r = rank.find(t.substr(k));
      if (l != rank.end() && r != rank.end()) local.push_back({l->second, r->second, id});
    }
    std::sort(local.begin(), local.end(), [](const Merge& a, const Merge& b) {
      return a.l != b.l ? a.l < b.l : a.r < b.r;
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::vector<std::string> tokens, merge_strs;
  std::vector<int32_t> types;
  for (const auto& b : bytes) {
    tokens.push_back(lw::tok::byte_level_encode(b));
    types.push_back(1);
  }
  for (TokenId id = n_ranks; id < tt->vocab_size(); ++id) {
    tokens.push_back(tt->is_special(id) ? tt->token_bytes(id) : "<unused" + std::to_string(id) + ">");
    types.push_back(tt->is_special(id) ? 3 : 5);
  }
  for (const auto& m : merges) {
    merge_strs.push_back(tokens[static_cast<size_t>(m.l)] + " " + tokens[static_cast<size_t>(m.r)]);
  }
  lw::io::GgufStreamWriter w;
  w.set("tokenizer.ggml.model", lw::io::GgufValue::make_string("gpt2"));
  w.set("tokenizer.ggml.pre", lw::io::GgufValue::make_string("llama-bpe"));
  w.set("tokenizer.ggml.tokens", lw::io::GgufValue::make_string_array(tokens));
  w.set("tokenizer.ggml.token_type", lw::io::GgufValue::make_i32_array(types));
  w.set("tokenizer.ggml.merges", lw::io::GgufValue::make_string_array(merge_strs));
  w.set("tokenizer.ggml.eos_token_id", lw::io::GgufValue::make_u32(100257));
  auto gg = lw::tok::load_gguf_vocab(lw::io::GgufFile::from_bytes(w.to_bytes(), "cl100k-as-gguf"));
  EXPECT_EQ(gg->eos_id(), 100257);
  EXPECT_EQ(gg->token_to_id("<|endoftext|>"), 100257);

  std::vector<std::string> texts = {
      "hello world", "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
      "int main() {\n\treturn x->y[3] >= 0 ? 1 : -1;  // ok\n}\n", "   \n\n\t  leading spaces",
      "Ελληνικά, русский, العربية, हिन्दी, 日本語のテキスト", std::string(3000, 'a') + "bbb" + std::string(777, 'z')};
  std::mt19937 rng(17);
  const std::vector<std::string> alphabet = {"a", "th", "e", " ", "ing", "你", "好", "的", "1", "!", "\n", "é", "'s", "zz"};
  for (int i = 0; i < 300; ++i) {
    std::string s;
    int n = 1 + static_cast<int>(rng() % 80);
    for (int k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
    texts.push_back(s);
  }
  for (const auto& s : texts) {
    EXPECT_EQ(gg->encode(s), tt->encode(s)) << "[" << s.substr(0, 80) << "]";
    EXPECT_EQ(gg->encode(s + "<|endoftext|>", true), tt->encode(s + "<|endoftext|>", true));
  }
  // The placeholders of type unused (5) stand for nothing when decoded, as in llama.cpp; the
  // control token keeps its text.
  TokenId unused = -1;
  for (TokenId id = n_ranks; id < gg->vocab_size() && unused < 0; ++id)
    if (!gg->is_special(id)) unused = id;
  ASSERT_GE(unused, 0);
  EXPECT_EQ(gg->token_bytes(unused), "");
  const auto hello = gg->encode("hello");
  std::vector<TokenId> ids = hello;
  ids.push_back(unused);
  ids.insert(ids.end(), hello.begin(), hello.end());
  EXPECT_EQ(gg->decode(ids), "hellohello");
  EXPECT_EQ(gg->token_bytes(100257), "<|endoftext|>");
}

}  // namespace
