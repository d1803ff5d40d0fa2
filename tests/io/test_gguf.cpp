#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "util/error.hpp"
#include "support/shared_data.hpp"

namespace {

using lw::io::GgmlType;
using lw::io::GgufFile;
using lw::io::GgufType;
using lw::io::GgufValue;
using lw::io::GgufStreamWriter;

std::vector<std::byte> f32_bytes(const std::vector<float>& v) {
  std::vector<std::byte> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::string as_string(const std::vector<std::byte>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

GgufStreamWriter sample_writer(uint32_t alignment = 32) {
  GgufStreamWriter w(alignment);
  w.set("general.architecture", GgufValue::make_string("llama"));
  w.set("llama.block_count", GgufValue::make_u32(2));
  w.set("llama.rope.freq_base", GgufValue::make_f32(500000.0f));
  w.set("tokenizer.ggml.add_bos_token", GgufValue::make_bool(true));
  w.set("tokenizer.ggml.tokens", GgufValue::make_string_array({"a", "b", "ab"}));
  w.set("tokenizer.ggml.scores", GgufValue::make_f32_array({0.0f, -1.5f, 2.0f}));
  w.set("tokenizer.ggml.token_type", GgufValue::make_i32_array({1, 1, 3}));
  std::vector<float> emb(4 * 3);
  for (size_t i = 0; i < emb.size(); ++i) emb[i] = static_cast<float>(i) * 0.5f;
  w.add_tensor_owned("token_embd.weight", GgmlType::f32, {3, 4}, as_string(f32_bytes(emb)));
  std::vector<std::byte> q(34 * 2, std::byte{7});  // two q8_0 blocks
  w.add_tensor_owned("blk.0.attn_q.weight", GgmlType::q8_0, {2, 32}, as_string(q));
  return w;
}

TEST(Gguf, RoundTripsMetadataAndTensors) {
  GgufFile g = GgufFile::from_bytes(sample_writer().to_bytes(), "sample.gguf");
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 32u);
  EXPECT_EQ(g.data_offset() % 32, 0u);
  EXPECT_EQ(g.metadata().size(), 7u);
  EXPECT_EQ(g.get_string("general.architecture"), "llama");
  EXPECT_EQ(g.get_int("llama.block_count"), 2);
  EXPECT_FLOAT_EQ(static_cast<float>(g.get_float("llama.rope.freq_base", 0)), 500000.0f);
  EXPECT_TRUE(g.get_bool("tokenizer.ggml.add_bos_token", false));
  EXPECT_EQ(g.get_string_array("tokenizer.ggml.tokens"), (std::vector<std::string>{"a", "b", "ab"}));
  EXPECT_EQ(g.get_float_array("tokenizer.ggml.scores"), (std::vector<float>{0.0f, -1.5f, 2.0f}));
  EXPECT_EQ(g.get_int_array("tokenizer.ggml.token_type"), (std::vector<int64_t>{1, 1, 3}));
  EXPECT_EQ(g.get_int("missing.key", 42), 42);

  ASSERT_EQ(g.tensors().size(), 2u);
  const auto& emb = g.tensor("token_embd.weight");
  EXPECT_EQ(emb.type, GgmlType::f32);
  EXPECT_EQ(emb.dims, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(emb.n_elements, 12u);
  ASSERT_EQ(emb.n_bytes, 48u);
  float x;
  std::memcpy(&x, emb.data.data() + 4 * 5, 4);
  EXPECT_FLOAT_EQ(x, 2.5f);
  const auto& q = g.tensor("blk.0.attn_q.weight");
  EXPECT_EQ(q.type, GgmlType::q8_0);
  EXPECT_EQ(q.n_bytes, 68u);
  EXPECT_EQ(q.offset % 32, 0u);
  EXPECT_EQ(q.data[67], std::byte{7});
  EXPECT_STREQ(lw::io::ggml_type_name(q.type), "q8_0");
}

TEST(Gguf, TypedGettersNameKeyOnMismatch) {
  GgufFile g = GgufFile::from_bytes(sample_writer().to_bytes(), "sample.gguf");
  try {
    (void)g.get_string("llama.block_count");
    FAIL() << "expected InputError";
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("llama.block_count"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("sample.gguf"), std::string::npos);
  }
  EXPECT_THROW((void)g.get_string("nope"), lw::InputError);
  EXPECT_THROW((void)g.tensor("nope"), lw::InputError);
  EXPECT_THROW((void)g.get_int_array("tokenizer.ggml.tokens"), lw::InputError);
}

TEST(Gguf, OpensRealVocabularyFileByMapping) {
  auto path = lw::testing::data_file("vocab/ggml-vocab-gpt-2.gguf");
  ASSERT_TRUE(std::filesystem::exists(path)) << "no shared vocab " << path;
  GgufFile g = GgufFile::open(path);
  EXPECT_EQ(g.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(g.get_string_array("tokenizer.ggml.tokens").size(), 50257u);
  EXPECT_EQ(g.get_string_array("tokenizer.ggml.tokens")[0], "!");
}

TEST(Gguf, WritesAndOpensFromDisk) {
  auto path = std::filesystem::temp_directory_path() / "lw_test_gguf_rw.gguf";
  sample_writer(64).write(path);
  GgufFile g = GgufFile::open(path);
  EXPECT_EQ(g.alignment(), 64u);
  EXPECT_EQ(g.data_offset() % 64, 0u);
  EXPECT_EQ(g.tensor("blk.0.attn_q.weight").offset % 64, 0u);
  std::filesystem::remove(path);
}

void expect_input_error(const std::string& bytes, const std::string& needle) {
  try {
    (void)GgufFile::from_bytes(bytes, "bad.gguf");
    FAIL() << "expected InputError containing '" << needle << "'";
  } catch (const lw::InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("bad.gguf"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

std::string header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
  std::string s = "GGUF";
  s.append(reinterpret_cast<const char*>(&version), 4);
  s.append(reinterpret_cast<const char*>(&n_tensors), 8);
  s.append(reinterpret_cast<const char*>(&n_kv), 8);
  return s;
}

TEST(Gguf, MalformedHeadersGiveClearErrors) {
  expect_input_error("", "truncated");
  expect_input_error("GGML\x03\0\0\0", "bad magic");
  expect_input_error(header(1, 0, 0), "version 1");
  expect_input_error(header(7, 0, 0), "unsupported GGUF version 7");
  // Counts that cannot fit: no allocation of billions of entries.
  expect_input_error(header(3, 0, uint64_t{1} << 60), "metadata entries cannot fit");
  expect_input_error(header(3, uint64_t{1} << 60, 0), "tensors cannot fit");
  // A key whose length runs past the end.
  std::string s = header(3, 0, 1);
  uint64_t huge = uint64_t{1} << 50;
  s.append(reinterpret_cast<const char*>(&huge), 8);
  s += "xxxxxxxxxxxxxxxx";
  expect_input_error(s, "truncated");
  // An array claiming more elements than bytes.
  s = header(3, 0, 1);
  uint64_t klen = 1;
  s.append(reinterpret_cast<const char*>(&klen), 8);
  s += "k";
  uint32_t t_arr = 9, t_str = 8;
  s.append(reinterpret_cast<const char*>(&t_arr), 4);
  s.append(reinterpret_cast<const char*>(&t_str), 4);
  s.append(reinterpret_cast<const char*>(&huge), 8);
  s += std::string(64, '\0');
  expect_input_error(s, "does not fit");
}

TEST(Gguf, TensorPastEndIsRejected) {
  std::string bytes = sample_writer().to_bytes();
  const GgufFile whole = GgufFile::from_bytes(bytes, "sample.gguf");
  const auto& last = whole.tensors().back();  // cut 10 bytes off its data (the writer pads after it)
  expect_input_error(bytes.substr(0, whole.data_offset() + last.offset + last.n_bytes - 10), "runs past the end");
}

TEST(Gguf, RandomCorruptionNeverCrashes) {
  const std::string good = sample_writer().to_bytes();
  std::mt19937 rng(1234);
  int errors = 0, ok = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string b = good;
    int mode = iter % 3;
    if (mode == 0) {
      b.resize(rng() % b.size());
    } else {
      int flips = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < flips; ++k) b[rng() % b.size()] = static_cast<char>(rng());
    }
    try {
      GgufFile g = GgufFile::from_bytes(b, "fuzz.gguf");
      for (const auto& t : g.tensors()) {
        ASSERT_LE(g.data_offset() + t.offset + t.n_bytes, g.file_size());
        ASSERT_EQ(t.data.size(), t.n_bytes);
      }
      ++ok;
    } catch (const lw::InputError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
  EXPECT_GT(ok, 0);
}

}  // namespace
