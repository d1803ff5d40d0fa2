// Property tests over random bytes: the loaders reject malformed input with InputError (never a
// crash or a hang), and every encoder round-trips arbitrary bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "io/file.hpp"
#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"
#include "text/utf8.hpp"
#include "tokenizer/loaders.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using lw::tok::TokenId;

fs::path vocab(const std::string& name) { return lw::testing::data_dir() / "vocab" / name; }

std::string random_bytes(std::mt19937& rng, size_t n, bool texty) {
  static const std::vector<std::string> pieces = {"a", "Z", " ", "  ", "\n", "\t", "'s", "你", "好", "é", "🦙",
                                                  "1", "22", "!", "<|", "|>", "\r\n", "\xe2\x96\x81"};
  std::string s;
  while (s.size() < n) {
    if (texty && rng() % 4 != 0) {
      s += pieces[rng() % pieces.size()];
    } else {
      s.push_back(static_cast<char>(rng()));
    }
  }
  return s;
}

std::string spaces_for_u2581(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "\xE2\x96\x81") == 0) {
      out.push_back(' ');
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

TEST(Fuzz, EncodersRoundTripRandomBytes) {
  std::vector<std::unique_ptr<lw::tok::Tokenizer>> toks;
  toks.push_back(lw::tok::load_tokenizer(vocab("cl100k_base.tiktoken")));
  toks.push_back(lw::tok::load_tokenizer(vocab("ggml-vocab-gpt-2.gguf")));
  toks.push_back(lw::tok::load_tokenizer(vocab("ggml-vocab-deepseek-coder.gguf")));
  toks.push_back(lw::tok::load_tokenizer(vocab("ggml-vocab-llama-spm.gguf")));
  // deepseek-coder's vocabulary has no tokens for bytes that never occur in UTF-8 (0xF5..0xFF),
  // so like the reference it drops them; it round-trips valid UTF-8 only.
  const bool all_bytes[] = {true, true, false, true};
  std::mt19937 rng(42);
  for (int iter = 0; iter < 400; ++iter) {
    std::string s = random_bytes(rng, rng() % 200, iter % 2 == 0);
    for (size_t k = 0; k < toks.size(); ++k) {
      const auto& t = toks[k];
      auto ids = t->encode(s, /*allow_special=*/false);
      for (TokenId id : ids) ASSERT_TRUE(id >= 0 && id < t->vocab_size());
      // SentencePiece writes spaces as U+2581, so a literal U+2581 in the text decodes as a space.
      std::string expected = t->kind() == "spm" ? spaces_for_u2581(s) : s;
      if (all_bytes[k] || lw::text::is_valid(s)) {
        ASSERT_EQ(t->decode(ids), expected) << "tokenizer " << k << " iteration " << iter;
      }
      (void)t->encode(s, /*allow_special=*/true);  // must not crash either
    }
  }
}

TEST(Fuzz, DecodeRejectsOutOfRangeIds) {
  auto t = lw::tok::load_tokenizer(vocab("ggml-vocab-gpt-2.gguf"));
  EXPECT_THROW(t->decode(std::vector<TokenId>{1, -5}), lw::InputError);
  EXPECT_THROW(t->decode(std::vector<TokenId>{50257}), lw::InputError);
}

TEST(Fuzz, TiktokenLoaderRandomInput) {
  std::string good = lw::io::read_file(vocab("cl100k_base.tiktoken")).substr(0, 4000);
  std::mt19937 rng(3);
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 300; ++iter) {
    std::string s = iter % 2 ? random_bytes(rng, rng() % 300, true) : good;
    if (iter % 4 == 0) {
      for (int k = 0; k < 5; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    } else if (iter % 4 == 2) {  // cut at a line end past the 256 byte tokens: a smaller valid vocabulary
      s.resize(s.rfind('\n', 3000 + rng() % 1000) + 1);
    }
    try {
      auto t = lw::tok::load_tiktoken_text(s, "fuzz.tiktoken");
      for (TokenId id : t->encode("hello")) ASSERT_TRUE(id >= 0 && id < t->vocab_size()) << iter;
      ++loaded;
    } catch (const lw::InputError& e) {
      ASSERT_NE(std::string(e.what()).find("fuzz.tiktoken"), std::string::npos) << e.what();
      ++rejected;
    }
  }
  // both outcomes happen (the mutations reach the checks), and every rejection names the file
  EXPECT_GT(loaded, 0);
  EXPECT_GT(rejected, 0);
}

TEST(Fuzz, HfJsonLoaderRandomInput) {
  const std::string good = R"({"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]},
    "pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false},"added_tokens":[]})";
  std::mt19937 rng(5);
  int ok = 0, rejected = 0;
  for (int iter = 0; iter < 500; ++iter) {
    std::string s = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) s[rng() % s.size()] = "{}[]\":,0a b-"[rng() % 13];
    try {
      auto t = lw::tok::load_hf_json_text(s, "fuzz.json");
      for (TokenId id : t->encode("abab ba")) ASSERT_TRUE(id >= 0 && id < t->vocab_size()) << s;
      ++ok;
    } catch (const lw::InputError& e) {
      ASSERT_NE(std::string(e.what()).find("fuzz.json"), std::string::npos) << e.what();
      ++rejected;
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(rejected, 0);
  EXPECT_NO_THROW(lw::tok::load_hf_json_text(good, "good.json"));
  EXPECT_THROW(lw::tok::load_hf_json_text("[1,2]", "x.json"), lw::InputError);
  EXPECT_THROW(lw::tok::load_hf_json_text("{\"model\":{\"type\":\"Unigram\"}}", "x.json"), lw::InputError);
  EXPECT_THROW(lw::tok::load_hf_json_text(R"({"model":{"vocab":{"a":"x"}},"decoder":{"type":"ByteLevel"}})", "x.json"),
               lw::InputError);
}

TEST(Fuzz, GgufVocabLoaderCorruptedFiles) {
  // A small valid gpt2-style vocabulary, then random corruption of its bytes.
  lw::io::GgufStreamWriter w;
  w.set("tokenizer.ggml.model", lw::io::GgufValue::make_string("gpt2"));
  w.set("tokenizer.ggml.pre", lw::io::GgufValue::make_string("gpt-2"));
  w.set("tokenizer.ggml.tokens", lw::io::GgufValue::make_string_array({"a", "b", "ab", "Ġ", "Ġa"}));
  w.set("tokenizer.ggml.merges", lw::io::GgufValue::make_string_array({"a b", "Ġ a"}));
  const std::string good = w.to_bytes();
  auto t = lw::tok::load_gguf_vocab(lw::io::GgufFile::from_bytes(good, "good.gguf"));
  EXPECT_EQ(t->encode("ab a"), (std::vector<TokenId>{2, 4}));
  std::mt19937 rng(9);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s = good;
    if (iter % 3 == 0) {
      s.resize(rng() % s.size());
    } else {
      for (int k = 0; k < 3; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    }
    try {
      auto tk = lw::tok::load_gguf_vocab(lw::io::GgufFile::from_bytes(s, "fuzz.gguf"));
      (void)tk->encode("ab ba aab");
    } catch (const lw::InputError&) {
    }
  }
  lw::io::GgufStreamWriter bad;
  bad.set("tokenizer.ggml.model", lw::io::GgufValue::make_string("gpt2"));
  bad.set("tokenizer.ggml.pre", lw::io::GgufValue::make_string("no-such-pre"));
  bad.set("tokenizer.ggml.tokens", lw::io::GgufValue::make_string_array({"a"}));
  bad.set("tokenizer.ggml.merges", lw::io::GgufValue::make_string_array({}));
  try {
    lw::tok::load_gguf_vocab(lw::io::GgufFile::from_bytes(bad.to_bytes(), "bad.gguf"));
    FAIL();
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-pre"), std::string::npos);
  }
}

TEST(Fuzz, SentencePieceLoaderRandomBytes) {
  std::mt19937 rng(11);
  for (int iter = 0; iter < 200; ++iter) {
    std::string s = random_bytes(rng, rng() % 200, false);
    try {
      auto t = lw::tok::load_sentencepiece_bytes(s, "fuzz.model");
      (void)t->encode("hello");
    } catch (const lw::InputError&) {
    }
  }
}

TEST(Fuzz, LoadTokenizerDispatchErrors) {
  auto dir = fs::temp_directory_path() / "lw_tok_dispatch";
  fs::create_directories(dir);
  EXPECT_THROW(lw::tok::load_tokenizer(dir / "missing.json"), lw::InputError);
  EXPECT_THROW(lw::tok::load_tokenizer(dir), lw::InputError);  // empty directory
  lw::io::write_file_atomic(dir / "weird.bin", "\x01\x02 not a tokenizer");
  EXPECT_THROW(lw::tok::load_tokenizer(dir / "weird.bin"), lw::InputError);
  fs::remove_all(dir);
}

}  // namespace
