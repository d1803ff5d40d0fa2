// The HF tokenizer.json loader and the libsentencepiece .model path, checked against the same
// reference vectors as the GGUF vocabularies: each test rebuilds the vocabulary in the other
// format from the GGUF file (tokenizer.json with the model's pre-tokenizer; a SentencePiece
// ModelProto with Llama's settings) and must reproduce every expected id.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "io/file.hpp"
#include "io/gguf.hpp"
#include "tokenizer/loaders.hpp"
#include "tokenizer/tokenizer.hpp"
#include "vector_cases.hpp"

namespace {

namespace fs = std::filesystem;
using lw::tok::TokenId;
using nlohmann::json;

std::string gguf_to_tokenizer_json(const lw::io::GgufFile& g, const json& pre_tokenizer) {
  const auto& tokens = g.get_string_array("tokenizer.ggml.tokens");
  auto types = g.get_int_array("tokenizer.ggml.token_type");
  json vocab = json::object(), added = json::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] == 3 || types[i] == 4) {
      added.push_back({{"id", i}, {"content", tokens[i]}, {"special", types[i] == 3}});
    }
    vocab[tokens[i]] = i;
  }
  json j;
  j["version"] = "1.0";
  j["added_tokens"] = added;
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = pre_tokenizer;
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  j["model"] = {{"type", "BPE"}, {"vocab", vocab}, {"merges", g.get_string_array("tokenizer.ggml.merges")}};
  return j.dump();
}

void expect_vectors(const lw::tok::Tokenizer& tok, const std::string& vocab) {
  auto cases = lw::testing::read_vocab_cases(vocab);
  ASSERT_EQ(cases.size(), 46u);
  for (const auto& c : cases) {
    auto ids = tok.encode(c.text);
    EXPECT_EQ(ids, c.ids) << "[" << c.text << "]";
    EXPECT_EQ(tok.decode(ids), c.text);
  }
}

TEST(HfJson, Gpt2ByteLevelMatchesVectors) {
  auto g = lw::io::GgufFile::open(lw::testing::vocab_dir() / "ggml-vocab-gpt-2.gguf");
  json pre = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  auto dir = fs::temp_directory_path() / "lw_tok_hf_gpt2";
  fs::create_directories(dir);
  lw::io::write_file_atomic(dir / "tokenizer.json", gguf_to_tokenizer_json(g, pre));
  auto tok = lw::tok::load_tokenizer(dir);  // model directory dispatch
  EXPECT_EQ(tok->eos_id(), 50256);
  EXPECT_EQ(tok->fingerprint().size(), 32u);
  expect_vectors(*tok, "ggml-vocab-gpt-2.gguf");
  fs::remove_all(dir);
}

TEST(HfJson, DeepseekCoderSplitSequenceMatchesVectors) {
  auto g = lw::io::GgufFile::open(lw::testing::vocab_dir() / "ggml-vocab-deepseek-coder.gguf");
  json splits = json::array();
  for (const char* re : {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"}) {
    splits.push_back({{"type", "Split"}, {"pattern", {{"Regex", re}}}, {"behavior", "Isolated"}, {"invert", false}});
  }
  splits.push_back({{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}});
  json pre = {{"type", "Sequence"}, {"pretokenizers", splits}};
  auto tok = lw::tok::load_hf_json_text(gguf_to_tokenizer_json(g, pre), "deepseek.json");
  expect_vectors(*tok, "ggml-vocab-deepseek-coder.gguf");
  // Added (control) tokens only when allowed.
  auto bos = tok->token_to_id("<｜begin▁of▁sentence｜>");
  ASSERT_TRUE(bos);
  EXPECT_EQ(tok->encode("<｜begin▁of▁sentence｜>x", true).front(), *bos);
  EXPECT_NE(tok->encode("<｜begin▁of▁sentence｜>x", false).front(), *bos);
}

// ---- a SentencePiece ModelProto written with the protobuf wire format ----

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_tag(std::string& out, int field, int wire) { put_varint(out, static_cast<uint64_t>(field << 3 | wire)); }
void put_bytes(std::string& out, int field, const std::string& s) {
  put_tag(out, field, 2);
  put_varint(out, s.size());
  out += s;
}
void put_int(std::string& out, int field, uint64_t v) {
  put_tag(out, field, 0);
  put_varint(out, v);
}
void put_float(std::string& out, int field, float f) {
  put_tag(out, field, 5);
  char b[4];
  std::memcpy(b, &f, 4);
  out.append(b, 4);
}

std::string gguf_to_spm_proto(const lw::io::GgufFile& g) {
  const auto& tokens = g.get_string_array("tokenizer.ggml.tokens");
  auto scores = g.get_float_array("tokenizer.ggml.scores");
  auto types = g.get_int_array("tokenizer.ggml.token_type");
  std::string model;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string piece;
    put_bytes(piece, 1, tokens[i]);
    put_float(piece, 2, scores[i]);
    put_int(piece, 3, static_cast<uint64_t>(types[i]));
    put_bytes(model, 1, piece);
  }
  std::string trainer;
  put_int(trainer, 3, 2);  // model_type BPE
  put_int(trainer, 4, tokens.size());
  put_int(trainer, 35, 1);  // byte_fallback
  put_int(trainer, 40, 0);  // unk_id
  put_int(trainer, 41, 1);  // bos_id
  put_int(trainer, 42, 2);  // eos_id
  put_int(trainer, 43, static_cast<uint64_t>(-1));  // pad_id
  put_bytes(model, 2, trainer);
  std::string norm;
  put_bytes(norm, 1, "identity");
  put_int(norm, 3, 1);  // add_dummy_prefix
  put_int(norm, 4, 0);  // remove_extra_whitespaces
  put_int(norm, 5, 1);  // escape_whitespaces
  put_bytes(model, 3, norm);
  return model;
}

TEST(SentencePieceModel, LlamaModelMatchesVectors) {
  auto g = lw::io::GgufFile::open(lw::testing::vocab_dir() / "ggml-vocab-llama-spm.gguf");
  auto dir = fs::temp_directory_path() / "lw_tok_spm_model";
  fs::create_directories(dir);
  lw::io::write_file_atomic(dir / "tokenizer.model", gguf_to_spm_proto(g));
  auto tok = lw::tok::load_tokenizer(dir);
  EXPECT_EQ(tok->kind(), "spm");
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->vocab_size(), 32000);
  expect_vectors(*tok, "ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(tok->encode("<s>Hi", true).front(), 1);
  EXPECT_NE(tok->encode("<s>Hi", false).front(), 1);
  fs::remove_all(dir);
}

}  // namespace
