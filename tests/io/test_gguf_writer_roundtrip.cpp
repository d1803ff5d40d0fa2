// The streaming GGUF writer read back by the project's GGUF reader (io/gguf.hpp).
#include <gtest/gtest.h>

#include <cstring>

#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"

namespace {

TEST(GgufStreamWriter, RoundTripsThroughTheReader) {
  lw::io::GgufStreamWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 2);
  w.set_f32("llama.rope.freq_base", 500000.0f);
  w.set_bool("tokenizer.ggml.add_bos_token", false);
  std::vector<std::string> toks = {"<s>", "hello", "\xe4\xbd\xa0"};
  w.set_array_string("tokenizer.ggml.tokens", toks);
  std::vector<float> scores = {0.0f, -1.5f, -2.0f};
  w.set_array_f32("tokenizer.ggml.scores", scores);
  std::vector<float> a = {1, 2, 3, 4, 5, 6};  // (2, 3)
  std::vector<uint16_t> h = {0x3c00, 0x4000};  // f16 1, 2
  w.add_tensor("blk.0.attn_q.weight", lw::io::GgufStreamWriter::TensorType::f32, {2, 3},
               std::as_bytes(std::span(a)));
  w.add_tensor("h", lw::io::GgufStreamWriter::TensorType::f16, {2}, std::as_bytes(std::span(h)));

  auto f = lw::io::GgufFile::from_bytes(w.to_bytes(), "rt.gguf");
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("llama.block_count"), 2);
  EXPECT_EQ(f.get_float("llama.rope.freq_base", 0), 500000.0);
  EXPECT_FALSE(f.get_bool("tokenizer.ggml.add_bos_token", true));
  EXPECT_EQ(f.get_string_array("tokenizer.ggml.tokens"), toks);
  EXPECT_EQ(f.get_float_array("tokenizer.ggml.scores"), scores);
  const auto& t = f.tensor("blk.0.attn_q.weight");
  EXPECT_EQ(t.type, lw::io::GgmlType::f32);
  EXPECT_EQ(t.dims, (std::vector<int64_t>{3, 2}));
  ASSERT_EQ(t.data.size(), 24u);
  EXPECT_EQ(std::memcmp(t.data.data(), a.data(), 24), 0);
  const auto& th = f.tensor("h");
  EXPECT_EQ(th.type, lw::io::GgmlType::f16);
  ASSERT_EQ(th.data.size(), 4u);
  EXPECT_EQ(std::memcmp(th.data.data(), h.data(), 4), 0);
}

}  // namespace
