// safetensors: writer -> reader round trip, sharded index, and clear errors for bad files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/file.hpp"
#include "io/safetensors.hpp"
#include "util/error.hpp"

using namespace lw::io;
namespace fs = std::filesystem;

namespace {

fs::path tmpdir(const std::string& name) {
  fs::path d = fs::path(::testing::TempDir()) / ("lw_st_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string error_of(const fs::path& p) {
  try {
    SafetensorsReader r(p);
  } catch (const lw::InputError& e) {
    return e.what();
  }
  return "no error";
}

// A file with a hand-written header (for malformed cases).
void write_raw(const fs::path& p, const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += header;
  out += std::string(data_bytes, '\x01');
  write_file_atomic(p, out);
}

}  // namespace

TEST(Safetensors, WriteThenReadRoundTrip) {
  fs::path d = tmpdir("rt");
  SafetensorsWriter w;
  std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 5.0f, 6.0f};
  std::vector<uint16_t> b = {0x3F80, 0x4000, 0xC040};  // bf16 1, 2, -3
  w.add_f32("layer.a", {2, 3}, a.data());
  w.add_ref("layer.b", StDType::BF16, {3}, b.data(), b.size() * 2);
  w.set_metadata("format", "pt");
  EXPECT_THROW(w.add_f32("layer.a", {1}, a.data()), lw::InputError);             // duplicate
  EXPECT_THROW(w.add("bad", StDType::F32, {4}, a.data(), 12), lw::InputError);    // size mismatch
  w.write(d / "m.safetensors");

  // The header is 8-byte aligned, as the format recommends.
  std::string bytes = read_file(d / "m.safetensors");
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ((8 + hlen) % 8, 0u);

  SafetensorsReader r(d / "m.safetensors");
  EXPECT_EQ(r.names(), (std::vector<std::string>{"layer.a", "layer.b"}));
  const auto& ta = r.get("layer.a", {2, 3});
  EXPECT_EQ(ta.dtype, StDType::F32);
  EXPECT_EQ(std::memcmp(ta.data, a.data(), 24), 0);
  const auto& tb = r.get("layer.b");
  EXPECT_EQ(tb.dtype, StDType::BF16);
  EXPECT_EQ(tb.shape, std::vector<int64_t>{3});
  EXPECT_EQ(std::memcmp(tb.data, b.data(), 6), 0);
  EXPECT_EQ(r.metadata().at("format"), "pt");
  // Directory form finds model.safetensors only.
  EXPECT_NE(error_of(d).find("no model.safetensors"), std::string::npos);
  fs::rename(d / "m.safetensors", d / "model.safetensors");
  EXPECT_TRUE(SafetensorsReader(d).has("layer.a"));
}

TEST(Safetensors, MissingAndMisShapedTensorsNameTheTensor) {
  fs::path d = tmpdir("names");
  SafetensorsWriter w;
  std::vector<float> a(6, 1.0f);
  w.add_f32("x.weight", {2, 3}, a.data());
  w.write(d / "model.safetensors");
  SafetensorsReader r(d);
  try {
    r.get("y.weight");
    FAIL();
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tensor y.weight not found"), std::string::npos);
  }
  try {
    r.get("x.weight", {3, 2});
    FAIL();
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("shape [2, 3], expected [3, 2]"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, ShardedIndex) {
  fs::path d = tmpdir("shards");
  std::vector<float> a = {1, 2}, b = {3, 4, 5};
  SafetensorsWriter w1, w2;
  w1.add_f32("a", {2}, a.data());
  w2.add_f32("b", {3}, b.data());
  w1.write(d / "model-00001-of-00002.safetensors");
  w2.write(d / "model-00002-of-00002.safetensors");
  write_file_atomic(d / "model.safetensors.index.json",
                    R"({"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                        "b": "model-00002-of-00002.safetensors"}})");
  SafetensorsReader r(d);
  EXPECT_EQ(static_cast<const float*>(r.get("b").data)[2], 5.0f);
  EXPECT_EQ(r.get("a").numel(), 2);
  // An index naming a tensor its shard lacks.
  write_file_atomic(d / "model.safetensors.index.json",
                    R"({"weight_map": {"c": "model-00001-of-00002.safetensors"}})");
  EXPECT_NE(error_of(d).find("tensor c is listed in the index"), std::string::npos);
}

TEST(Safetensors, MalformedFilesGiveClearErrors) {
  fs::path d = tmpdir("bad");
  write_file_atomic(d / "tiny.safetensors", "abc");
  EXPECT_NE(error_of(d / "tiny.safetensors").find("truncated"), std::string::npos);
  write_raw(d / "hlen.safetensors", "{}", 0);
  {  // header length larger than the file
    std::string s = read_file(d / "hlen.safetensors");
    s[0] = 100;
    write_file_atomic(d / "hlen.safetensors", s);
  }
  EXPECT_NE(error_of(d / "hlen.safetensors").find("header length"), std::string::npos);
  write_raw(d / "json.safetensors", "{not json", 0);
  EXPECT_NE(error_of(d / "json.safetensors").find("json.safetensors: safetensors header: invalid JSON"), std::string::npos);
  write_raw(d / "dtype.safetensors", R"({"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}})", 2);
  EXPECT_NE(error_of(d / "dtype.safetensors").find("unsupported dtype F8_E4M3"), std::string::npos);
  write_raw(d / "short.safetensors", R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8);
  std::string e = error_of(d / "short.safetensors");
  EXPECT_NE(e.find("truncated file: tensor w"), std::string::npos) << e;
  write_raw(d / "size.safetensors", R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}})", 16);
  EXPECT_NE(error_of(d / "size.safetensors").find("do not match"), std::string::npos);
  EXPECT_NE(error_of(d / "nope.safetensors").find("cannot open"), std::string::npos);
}
