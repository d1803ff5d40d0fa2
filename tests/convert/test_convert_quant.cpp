// convert with quantization schemes and GLM-4: the per-tensor types of the _M/_S mixes, GGUF ->
// GGUF re-quantization, quantized GGUF -> HF dequantization, GLM-4 both ways.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <unistd.h>

#include "convert/convert.hpp"
#include "convert/scheme.hpp"
#include "engine/gguf_model.hpp"
#include "engine/model.hpp"
#include "engine/save.hpp"
#include "io/gguf.hpp"
#include "io/safetensors.hpp"
#include "util/error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw;
using engine::DType;

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("lw_convq_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A Llama with 256-wide rows (k-quants apply) and 16 layers (use_more_bits has all its cases).
engine::ModelConfig llama16() {
  engine::ModelConfig c;
  c.V = 64, c.C = 256, c.n_layer = 16, c.n_head = 4, c.n_kv_head = 2, c.hd = 64, c.ffn = 256;
  c.max_context = 128, c.bos_id = 1, c.eos_ids = {2};
  return c;
}

std::map<std::string, io::GgmlType> types_of(const fs::path& p) {
  std::map<std::string, io::GgmlType> t;
  const auto f = io::GgufFile::open(p);
  for (const auto& ti : f.tensors()) t[ti.name] = ti.type;
  return t;
}

io::GgmlType g(DType d) { return static_cast<io::GgmlType>(quant::traits(d).ggml_type); }

std::vector<float> logits_of(const engine::Model& m, const std::vector<int32_t>& ids) {
  engine::Workspace ws;
  std::vector<float> out;
  engine::forward(m, engine::Batch::single(ids, 0, true), nullptr, ws, out);
  return out;
}

double rel(const std::vector<float>& a, const std::vector<float>& b) {
  double e = 0, s = 0;
  for (size_t i = 0; i < a.size(); ++i) e = std::max(e, static_cast<double>(std::fabs(a[i] - b[i]))), s = std::max(s, static_cast<double>(std::fabs(b[i])));
  return e / s;
}

}  // namespace

TEST(ConvertQuant, Q4KMAssignsLlamaCppsPerTensorTypes) {
  auto d = temp_dir("q4km");
  const auto cfg = llama16();
  auto m = engine::make_random_model(cfg, 3, DType::f32, 0.02f);
  engine::save_hf_model(cfg, m->weights(), d / "hf");
  convert::ConvertOptions o;
  o.dtype = "q4_k_m";
  const auto rep = convert::convert_hf_to_gguf(d / "hf", d / "m.gguf", o);
  EXPECT_NE(rep.notes.find("q6_k"), std::string::npos) << rep.notes;
  const auto t = types_of(d / "m.gguf");
  // use_more_bits(i, 16): i < 2, i >= 14, or (i - 2) % 3 == 2
  const std::vector<int> more = {0, 1, 4, 7, 10, 13, 14, 15};
  for (int i = 0; i < 16; ++i) {
    const bool mb = std::find(more.begin(), more.end(), i) != more.end();
    EXPECT_EQ(t.at(fmt::format("blk.{}.attn_v.weight", i)), g(mb ? DType::q6_k : DType::q4_k)) << i;
    EXPECT_EQ(t.at(fmt::format("blk.{}.ffn_down.weight", i)), g(mb ? DType::q6_k : DType::q4_k)) << i;
    EXPECT_EQ(t.at(fmt::format("blk.{}.attn_q.weight", i)), g(DType::q4_k)) << i;
    EXPECT_EQ(t.at(fmt::format("blk.{}.ffn_gate.weight", i)), g(DType::q4_k)) << i;
    EXPECT_EQ(t.at(fmt::format("blk.{}.attn_norm.weight", i)), io::GgmlType::f32) << i;
  }
  EXPECT_EQ(t.at("output.weight"), g(DType::q6_k));
  EXPECT_EQ(t.at("token_embd.weight"), g(DType::q4_k));
  EXPECT_EQ(io::GgufFile::open(d / "m.gguf").get_int("general.file_type"), 15);
  // loads; its kernels agree with the same weights dequantized at load (they differ by the
  // 8-bit activation rounding of every matrix product, about 2% after 16 random layers; a wrong
  // block decode gives O(1)); and a 16-layer random model at 4.5 bits stays in the neighbourhood
  // of the f32 original
  auto q = engine::load_model(d / "m.gguf");
  engine::LoadOptions f32;
  f32.convert = engine::LoadOptions::Convert::f32;
  auto dq = engine::load_model(d / "m.gguf", f32);
  const std::vector<int32_t> ids = {1, 5, 9, 33, 12, 7};
  EXPECT_LT(rel(logits_of(*q, ids), logits_of(*dq, ids)), 4e-2);
  EXPECT_LT(rel(logits_of(*q, ids), logits_of(*m, ids)), 0.3);
}

TEST(ConvertQuant, SchemesAndFallbacks) {
  const auto cfg = llama16();
  const auto specs = engine::param_specs(cfg);
  auto spec = [&](const std::string& n) {
    for (const auto& s : specs)
      if (s.name == n) return s;
    throw std::runtime_error(n);
  };
  auto ty = [&](const char* scheme, const std::string& n) {
    return convert::tensor_type(*convert::parse_scheme(scheme), cfg, spec(n), false, DType::bf16);
  };
  EXPECT_EQ(ty("q8_0", "lm_head.weight"), DType::q8_0);
  EXPECT_EQ(ty("q4_0", "lm_head.weight"), DType::q6_k);
  EXPECT_EQ(ty("q4_0", "model.layers.3.mlp.down_proj.weight"), DType::q4_0);
  EXPECT_EQ(ty("q4_k_s", "model.layers.3.self_attn.v_proj.weight"), DType::q5_k);
  EXPECT_EQ(ty("q4_k_s", "model.layers.5.self_attn.v_proj.weight"), DType::q4_k);
  EXPECT_EQ(ty("q4_k_s", "model.layers.1.mlp.down_proj.weight"), DType::q5_k);
  EXPECT_EQ(ty("q5_k_m", "model.layers.0.mlp.down_proj.weight"), DType::q6_k);
  EXPECT_EQ(ty("keep", "model.layers.0.mlp.down_proj.weight"), DType::bf16);
  EXPECT_EQ(ty("bf16", "model.norm.weight"), DType::f32);
  // rows that 256-blocks do not divide fall back as llama.cpp's quantizer does
  engine::ModelConfig small = cfg;
  small.C = 96, small.ffn = 64, small.n_head = 3, small.n_kv_head = 1, small.hd = 32;
  const auto ss = engine::param_specs(small);
  EXPECT_EQ(convert::tensor_type(*convert::parse_scheme("q4_k_m"), small, ss[2], false, DType::f32), DType::q5_0);
  EXPECT_EQ(convert::tensor_type(*convert::parse_scheme("q6_k"), small, ss[2], false, DType::f32), DType::q8_0);
  EXPECT_FALSE(convert::parse_scheme("q4_k_l"));
  EXPECT_NE(convert::scheme_names().find("q5_k_m"), std::string::npos);
}

TEST(ConvertQuant, GgufToGgufRequantizesAndGgufToHfDequantizes) {
  auto d = temp_dir("g2g");
  const auto cfg = llama16();
  auto m = engine::make_random_model(cfg, 4, DType::f32, 0.05f);
  engine::save_hf_model(cfg, m->weights(), d / "hf");
  convert::ConvertOptions o;
  o.dtype = "bf16";
  convert::convert_hf_to_gguf(d / "hf", d / "bf16.gguf", o);
  o.dtype = "q8_0";
  convert::convert_gguf_to_gguf(d / "bf16.gguf", d / "q8.gguf", o);
  auto f = io::GgufFile::open(d / "q8.gguf");
  EXPECT_EQ(f.tensor("blk.3.ffn_up.weight").type, io::GgmlType::q8_0);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_THROW(convert::convert_gguf_to_gguf(d / "q8.gguf", d / "q8.gguf", o), InputError);
  // back to HF: dequantized f32 (keep) or bf16, loading to the quantized file's logits
  convert::convert_gguf_to_hf(d / "q8.gguf", d / "back", {});
  io::SafetensorsReader st(d / "back");
  EXPECT_EQ(st.get("model.layers.3.mlp.up_proj.weight").dtype, io::StDType::F32);
  engine::LoadOptions f32;
  f32.convert = engine::LoadOptions::Convert::f32;
  const std::vector<int32_t> ids = {1, 5, 9, 33, 12, 7};
  auto q = engine::load_model(d / "q8.gguf", f32);
  auto back = engine::load_model(d / "back");
  EXPECT_LT(rel(logits_of(*back, ids), logits_of(*q, ids)), 1e-5);
  convert::ConvertOptions bad;
  bad.dtype = "q4_k_m";
  EXPECT_THROW(convert::convert_gguf_to_hf(d / "q8.gguf", d / "back2", bad), InputError);
}

TEST(ConvertQuant, Glm4BothWays) {
  const fs::path golden = fs::path(LW_TEST_DATA_DIR) / "golden/glm4-tiny";
  auto d = temp_dir("glm");
  convert::convert_hf_to_gguf(golden, d / "g.gguf", {});
  auto f = io::GgufFile::open(d / "g.gguf");
  EXPECT_EQ(f.get_string("general.architecture"), "chatglm");
  EXPECT_EQ(f.get_int("chatglm.rope.dimension_count"), 8);
  const auto& qkv = f.tensor("blk.1.attn_qkv.weight");
  EXPECT_EQ(qkv.dims, (std::vector<int64_t>{64, 64 + 2 * 32}));
  EXPECT_EQ(f.tensor("blk.1.attn_qkv.bias").dims, (std::vector<int64_t>{128}));
  EXPECT_EQ(f.tensor("blk.0.ffn_up.weight").dims, (std::vector<int64_t>{64, 256}));
  EXPECT_EQ(f.find_tensor("blk.0.ffn_gate.weight"), nullptr);
  // and back: the same tensors as the original, bit for bit
  convert::convert_gguf_to_hf(d / "g.gguf", d / "back", {});
  io::SafetensorsReader a(golden), b(d / "back");
  for (const auto& n : a.names()) {
    ASSERT_TRUE(b.has(n)) << n;
    ASSERT_EQ(a.get(n).nbytes, b.get(n).nbytes) << n;
    EXPECT_EQ(std::memcmp(a.get(n).data, b.get(n).data, a.get(n).nbytes), 0) << n;
  }
  EXPECT_EQ(engine::load_hf_config(d / "back").arch, engine::Arch::glm4);
}
