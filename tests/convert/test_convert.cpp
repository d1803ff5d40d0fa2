// convert: HF directory -> GGUF -> HF gives identical tensors; the GGUF loads to identical logits;
// q/k rows follow llama.cpp's order in the file; llama3 rope scaling and the tokenizer survive.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "engine/model.hpp"
#include "engine/save.hpp"
#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"
#include "io/safetensors.hpp"
#include "convert/convert.hpp"
#include "convert/gguf_tokenizer.hpp"
#include "tokenizer/loaders.hpp"
#include "util/error.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw;

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("lw_convert_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

engine::ModelConfig tiny(bool llama3_rope, bool tied) {
  engine::ModelConfig c;
  c.V = 96;
  c.C = 32;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_kv_head = 2;
  c.hd = 8;
  c.ffn = 48;
  c.max_context = 256;
  c.rope_theta = 500000.0f;
  c.tie_word_embeddings = tied;
  c.bos_id = 1;
  c.eos_ids = {2};
  if (llama3_rope) c.rope_scaling = {"llama3", 8.0f, 1.0f, 4.0f, 8192};  // all three bands at hd 8
  return c;
}

std::vector<float> logits_of(const engine::Model& m, const std::vector<int32_t>& ids) {
  engine::Workspace ws;
  std::vector<float> out;
  engine::forward(m, engine::Batch::single(ids, 0, /*all_logits=*/true), nullptr, ws, out);
  return out;
}

void expect_same_tensors(const fs::path& a, const fs::path& b) {
  io::SafetensorsReader ra(a), rb(b);
  ASSERT_EQ(ra.names(), rb.names());
  for (const auto& n : ra.names()) {
    const auto& ta = ra.get(n);
    const auto& tb = rb.get(n);
    EXPECT_EQ(ta.shape, tb.shape) << n;
    EXPECT_EQ(ta.dtype, tb.dtype) << n;
    ASSERT_EQ(ta.nbytes, tb.nbytes) << n;
    EXPECT_EQ(std::memcmp(ta.data, tb.data, ta.nbytes), 0) << n;
  }
}

class ConvertRoundTrip : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(ConvertRoundTrip, SafetensorsToGgufAndBackIsIdenticalAndLoadsToTheSameLogits) {
  auto [llama3, tied] = GetParam();
  auto d = temp_dir(std::string("rt") + (llama3 ? "3" : "2") + (tied ? "t" : "u"));
  auto cfg = tiny(llama3, tied);
  auto m = engine::make_random_model(cfg, 11, engine::DType::f32, 0.3f);
  engine::save_hf_model(cfg, m->weights(), d / "hf");
  auto rep = convert::convert_hf_to_gguf(d / "hf", d / "m.gguf");
  EXPECT_EQ(rep.tensors, static_cast<int>(engine::param_specs(cfg).size()) + (llama3 ? 1 : 0));
  convert::convert_gguf_to_hf(d / "m.gguf", d / "back");
  expect_same_tensors(d / "hf", d / "back");
  auto c2 = engine::load_hf_config(d / "back");
  EXPECT_EQ(c2.rope_scaling.type, cfg.rope_scaling.type);
  EXPECT_EQ(c2.rope_scaling.factor, cfg.rope_scaling.factor);
  EXPECT_EQ(c2.rope_scaling.original_max_position_embeddings, cfg.rope_scaling.original_max_position_embeddings);
  EXPECT_EQ(c2.tie_word_embeddings, tied);

  auto from_hf = engine::load_model(d / "hf");
  engine::LoadOptions hf_order;
  hf_order.hf_row_order = true;
  auto from_gguf = engine::load_model(d / "m.gguf", hf_order);
  std::vector<int32_t> ids = {1, 5, 17, 33, 80, 2, 40, 41, 90, 3};
  const auto ref = logits_of(*from_hf, ids);
  EXPECT_EQ(ref, logits_of(*from_gguf, ids));
  // In llama.cpp's row order (the default): the same logits up to the order of the q.k sums.
  const auto in_place = logits_of(*engine::load_model(d / "m.gguf"), ids);
  ASSERT_EQ(in_place.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(in_place[i], ref[i], 1e-5f);
}

INSTANTIATE_TEST_SUITE_P(Configs, ConvertRoundTrip,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

TEST(Convert, GgufHoldsQAndKRowsInLlamaCppOrder) {
  auto d = temp_dir("perm");
  auto cfg = tiny(false, false);
  auto m = engine::make_random_model(cfg, 12, engine::DType::f32, 0.3f);
  engine::save_hf_model(cfg, m->weights(), d / "hf");
  convert::convert_hf_to_gguf(d / "hf", d / "m.gguf");
  auto f = io::GgufFile::open(d / "m.gguf");
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("llama.attention.head_count_kv"), 2);
  EXPECT_EQ(f.get_int("llama.rope.dimension_count"), 8);
  io::SafetensorsReader st(d / "hf");
  const auto& q = st.get("model.layers.1.self_attn.k_proj.weight");  // (kv_dim, C)
  const auto& g = f.tensor("blk.1.attn_k.weight");
  EXPECT_EQ(g.dims, (std::vector<int64_t>{32, 16}));
  const float* hf = static_cast<const float*>(q.data);
  const float* gg = reinterpret_cast<const float*>(g.data.data());
  const int C = 32, hd = 8;
  for (int head = 0; head < 2; ++head)
    for (int i = 0; i < hd / 2; ++i) {
      // HF rows i and i + hd/2 of a head (a rotate-half pair) sit at GGUF rows 2i and 2i + 1.
      EXPECT_EQ(std::memcmp(gg + (head * hd + 2 * i) * C, hf + (head * hd + i) * C, C * 4), 0);
      EXPECT_EQ(std::memcmp(gg + (head * hd + 2 * i + 1) * C, hf + (head * hd + hd / 2 + i) * C, C * 4), 0);
    }
}

TEST(Convert, DtypeConversionAndErrors) {
  auto d = temp_dir("dtype");
  auto cfg = tiny(false, true);
  auto m = engine::make_random_model(cfg, 13, engine::DType::f32, 0.3f);
  engine::save_hf_model(cfg, m->weights(), d / "hf");
  convert::ConvertOptions o;
  o.dtype = "bf16";
  convert::convert_hf_to_gguf(d / "hf", d / "m.gguf", o);
  auto f = io::GgufFile::open(d / "m.gguf");
  EXPECT_EQ(f.tensor("blk.0.attn_q.weight").type, io::GgmlType::bf16);
  EXPECT_EQ(f.tensor("blk.0.attn_norm.weight").type, io::GgmlType::f32);
  EXPECT_EQ(f.get_int("general.file_type"), 32);
  // bf16 logits stay close to f32.
  auto a = engine::load_model(d / "hf");
  auto b = engine::load_model(d / "m.gguf");
  std::vector<int32_t> ids = {1, 7, 9, 11};
  auto la = logits_of(*a, ids), lb = logits_of(*b, ids);
  double max_diff = 0;
  for (size_t i = 0; i < la.size(); ++i) max_diff = std::max(max_diff, static_cast<double>(std::fabs(la[i] - lb[i])));
  EXPECT_LT(max_diff, 0.1);
  EXPECT_GT(max_diff, 0.0);
  o.dtype = "q4";
  EXPECT_THROW(convert::convert_hf_to_gguf(d / "hf", d / "x.gguf", o), InputError);
  EXPECT_THROW(convert::convert_hf_to_gguf(d / "missing", d / "x.gguf"), InputError);
  EXPECT_THROW(convert::convert_gguf_to_hf(d / "hf" / "config.json", d / "y"), InputError);
}

TEST(Convert, Gpt2VocabularySurvivesGgufToTokenizerJsonAndBack) {
  auto d = temp_dir("tok");
  const fs::path vocab = fs::path(lw::testing::data_file("vocab/ggml-vocab-gpt-2.gguf"));
  auto src = io::GgufFile::open(vocab);
  std::string notes;
  ASSERT_TRUE(convert::write_hf_tokenizer_from_gguf(src, d, notes)) << notes;
  auto original = tok::load_gguf_vocab(src);
  auto via_json = tok::load_tokenizer(d / "tokenizer.json");
  engine::ModelConfig cfg;
  cfg.V = original->vocab_size();
  io::GgufStreamWriter w;
  w.set_string("general.architecture", "llama");
  ASSERT_TRUE(convert::add_hf_tokenizer_to_gguf(d, cfg, w, notes)) << notes;
  auto back_file = io::GgufFile::from_bytes(w.to_bytes(), "back.gguf");
  EXPECT_EQ(back_file.get_string("tokenizer.ggml.pre"), src.get_string("tokenizer.ggml.pre"));
  auto back = tok::load_gguf_vocab(back_file);
  EXPECT_EQ(via_json->vocab_size(), original->vocab_size());
  EXPECT_EQ(back->vocab_size(), original->vocab_size());
  for (std::string text : {"Hello world, it's 2024!", "  spaces\tand\nnewlines  ", "naïve café 你好 🙂",
                           "<|endoftext|> is special", "1234567 numbers"}) {
    auto ids = original->encode(text);
    EXPECT_EQ(via_json->encode(text), ids) << text;
    EXPECT_EQ(back->encode(text), ids) << text;
    EXPECT_EQ(via_json->decode(ids), text);
  }
}

}  // namespace
