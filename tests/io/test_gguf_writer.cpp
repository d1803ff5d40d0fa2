// GGUF writer: the bytes follow the GGUF v3 layout (checked by an independent little parser here),
// tensor data is aligned, and bad input is rejected with a clear error.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "io/file.hpp"
#include "io/gguf_writer.hpp"
#include "util/error.hpp"

namespace {

using lw::io::GgufStreamWriter;

// A minimal GGUF reader for the test (deliberately separate from io/gguf).
struct Cursor {
  const std::string& b;
  size_t pos = 0;
  template <typename T>
  T get() {
    T v;
    EXPECT_LE(pos + sizeof(T), b.size());
    std::memcpy(&v, b.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  std::string str() {
    auto n = get<uint64_t>();
    std::string s = b.substr(pos, n);
    pos += n;
    return s;
  }
};

struct ParsedTensor {
  std::vector<uint64_t> ne;
  uint32_t type = 0;
  uint64_t offset = 0;
};

TEST(GgufStreamWriter, WritesV3LayoutWithAlignedTensors) {
  GgufStreamWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 2);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  w.set_i64("x.i64", -7);
  w.set_f64("x.f64", 0.25);
  std::vector<std::string> toks = {"a", "bc", ""};
  w.set_array_string("tokenizer.ggml.tokens", toks);
  std::vector<int32_t> types = {1, 2, 3};
  w.set_array_i32("tokenizer.ggml.token_type", types);
  w.set_u32("llama.block_count", 3);  // replaces, keeps position

  std::vector<float> a = {1, 2, 3, 4, 5, 6};  // (2, 3)
  std::vector<uint16_t> b = {0x3f80, 0x4000, 0x4040};  // bf16 1, 2, 3: (3)
  w.add_tensor("a", GgufStreamWriter::TensorType::f32, {2, 3}, std::as_bytes(std::span(a)));
  w.add_tensor("b", GgufStreamWriter::TensorType::bf16, {3}, std::as_bytes(std::span(b)));
  std::string bytes = w.to_bytes();

  Cursor c{bytes};
  ASSERT_EQ(bytes.substr(0, 4), "GGUF");
  c.pos = 4;
  EXPECT_EQ(c.get<uint32_t>(), 3u);
  EXPECT_EQ(c.get<uint64_t>(), 2u);  // tensors
  ASSERT_EQ(c.get<uint64_t>(), 8u);  // kvs
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i) {
    keys.push_back(c.str());
    auto type = c.get<uint32_t>();
    const std::string& k = keys.back();
    if (k == "general.architecture") {
      EXPECT_EQ(type, 8u);
      EXPECT_EQ(c.str(), "llama");
    } else if (k == "llama.block_count") {
      EXPECT_EQ(type, 4u);
      EXPECT_EQ(c.get<uint32_t>(), 3u);
    } else if (k == "llama.attention.layer_norm_rms_epsilon") {
      EXPECT_EQ(type, 6u);
      EXPECT_FLOAT_EQ(c.get<float>(), 1e-5f);
    } else if (k == "tokenizer.ggml.add_bos_token") {
      EXPECT_EQ(type, 7u);
      EXPECT_EQ(c.get<uint8_t>(), 1u);
    } else if (k == "x.i64") {
      EXPECT_EQ(type, 11u);
      EXPECT_EQ(c.get<int64_t>(), -7);
    } else if (k == "x.f64") {
      EXPECT_EQ(type, 12u);
      EXPECT_EQ(c.get<double>(), 0.25);
    } else if (k == "tokenizer.ggml.tokens") {
      EXPECT_EQ(type, 9u);
      EXPECT_EQ(c.get<uint32_t>(), 8u);
      ASSERT_EQ(c.get<uint64_t>(), 3u);
      EXPECT_EQ(c.str(), "a");
      EXPECT_EQ(c.str(), "bc");
      EXPECT_EQ(c.str(), "");
    } else if (k == "tokenizer.ggml.token_type") {
      EXPECT_EQ(type, 9u);
      EXPECT_EQ(c.get<uint32_t>(), 5u);
      ASSERT_EQ(c.get<uint64_t>(), 3u);
      EXPECT_EQ(c.get<int32_t>(), 1);
      EXPECT_EQ(c.get<int32_t>(), 2);
      EXPECT_EQ(c.get<int32_t>(), 3);
    } else {
      FAIL() << "unexpected key " << k;
    }
  }
  EXPECT_EQ(keys[1], "llama.block_count");  // insertion order kept on replace
  std::map<std::string, ParsedTensor> tensors;
  for (int i = 0; i < 2; ++i) {
    std::string name = c.str();
    ParsedTensor t;
    auto nd = c.get<uint32_t>();
    for (uint32_t d = 0; d < nd; ++d) t.ne.push_back(c.get<uint64_t>());
    t.type = c.get<uint32_t>();
    t.offset = c.get<uint64_t>();
    tensors[name] = t;
  }
  size_t data_start = (c.pos + 31) / 32 * 32;
  EXPECT_EQ(tensors["a"].ne, (std::vector<uint64_t>{3, 2}));  // reversed: ne[0] innermost
  EXPECT_EQ(tensors["a"].type, 0u);
  EXPECT_EQ(tensors["a"].offset, 0u);
  EXPECT_EQ(tensors["b"].ne, (std::vector<uint64_t>{3}));
  EXPECT_EQ(tensors["b"].type, 30u);
  EXPECT_EQ(tensors["b"].offset, 32u);  // 24 bytes of a, padded to 32
  EXPECT_EQ(std::memcmp(bytes.data() + data_start, a.data(), 24), 0);
  EXPECT_EQ(std::memcmp(bytes.data() + data_start + 32, b.data(), 6), 0);
  EXPECT_EQ(bytes.size(), data_start + 64);  // last tensor padded too
}

TEST(GgufStreamWriter, CustomAlignmentIsRecordedAndUsed) {
  GgufStreamWriter w(64);
  std::vector<float> a(3, 1.0f);
  w.add_tensor("a", GgufStreamWriter::TensorType::f32, {3}, std::as_bytes(std::span(a)));
  w.add_tensor("b", GgufStreamWriter::TensorType::f32, {3}, std::as_bytes(std::span(a)));
  EXPECT_TRUE(w.has_key("general.alignment"));
  std::string bytes = w.to_bytes();
  EXPECT_EQ(bytes.size() % 64, 0u);
}

TEST(GgufStreamWriter, ProducerMustWriteExactSize) {
  GgufStreamWriter w;
  w.add_tensor("t", GgufStreamWriter::TensorType::f16, {2, 2}, [](const GgufStreamWriter::Sink& sink) { sink("abc"); });
  EXPECT_THROW(w.to_bytes(), lw::Error);
}

TEST(GgufStreamWriter, RejectsBadTensors) {
  GgufStreamWriter w;
  std::vector<float> a(2);
  auto d = std::as_bytes(std::span(a));
  EXPECT_THROW(w.add_tensor("x", GgufStreamWriter::TensorType::f32, {}, d), lw::InputError);
  EXPECT_THROW(w.add_tensor("x", GgufStreamWriter::TensorType::f32, {0, 2}, d), lw::InputError);
  w.add_tensor("x", GgufStreamWriter::TensorType::f32, {2}, d);
  EXPECT_THROW(w.add_tensor("x", GgufStreamWriter::TensorType::f32, {2}, d), lw::InputError);
  EXPECT_THROW(GgufStreamWriter(24), lw::InputError);
}

TEST(GgufStreamWriter, WritesFileAtomically) {
  auto dir = std::filesystem::temp_directory_path() / "lw_gguf_writer_test";
  std::filesystem::create_directories(dir);
  GgufStreamWriter w;
  w.set_string("general.name", "t");
  w.write(dir / "m.gguf");
  EXPECT_EQ(lw::io::read_file(dir / "m.gguf"), w.to_bytes());
  std::filesystem::remove_all(dir);
}

}  // namespace
