// lw_make_model: writes a random Llama-family model of a named shape straight to GGUF, in any
// storage type or quantization scheme of `convert` (each row generated, then quantized, as it is
// written: an 8B model never sits in memory), or to an HF directory (safetensors f32/bf16). For
// benchmarks against llama.cpp on identical weights, and for test fixtures.
//
//   lw_make_model --shape 1b --dtype bf16 --out /tmp/m/llama1b-bf16.gguf
//   lw_make_model --shape 8b --dtype q4_k_m --out /tmp/m/llama8b-q4_k_m.gguf
//   lw_make_model --shape tiny256 --dtype f32 --std 0.03 --std-embed 1 --std-head 0.25 --out tiny.gguf
//
// Shapes: tiny256 (V 256, C 256, 2 layers, 4/2 heads of 64, FFN 256), tiny-gpt2 (V 50257 with the
// GPT-2 vocabulary, C 32, 2 layers, 4/2 heads of 8, FFN 64, context 512: a few MB, for serve checks), 152m
// (the engine benchmark's: V 50257, C 768, 12 layers, 12/4 heads, FFN 2048), 1b (Llama-3.2-1B: V 50257, C
// 2048, 16 layers, 32/8 heads, FFN 8192, tied, llama3 rope scaling), 8b (Llama-3.1-8B: V 128256, C 4096, 32
// layers, 32/8 heads of 128, FFN 14336, llama3 rope scaling). The vocabulary is GPT-2's from the shared test
// data, padded to V with [PAD{id}] tokens (tiny256: byte tokens).
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <utility>

#include "convert/gguf_tokenizer.hpp"
#include "convert/scheme.hpp"
#include "engine/gguf_model.hpp"
#include "engine/model.hpp"
#include "engine/save.hpp"
#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"

namespace fs = std::filesystem;
using namespace lw;
using engine::DType;
using engine::ModelConfig;

namespace {

ModelConfig shape(const std::string& name) {
  ModelConfig c;
  c.arch = engine::Arch::llama;
  c.rope_theta = 500000.0f;
  c.max_context = 32768;
  c.bos_id = 50256;
  c.eos_ids = {50256};
  if (name == "tiny256") {
    c.V = 256, c.C = 256, c.n_layer = 2, c.n_head = 4, c.n_kv_head = 2, c.hd = 64, c.ffn = 256;
    c.rope_theta = 10000.0f, c.max_context = 512, c.bos_id = 1, c.eos_ids = {2};
  } else if (name == "tiny-gpt2") {  // the serve tests' tiny model over the GPT-2 vocabulary (13 MB in f32)
    c.V = 50257, c.C = 32, c.n_layer = 2, c.n_head = 4, c.n_kv_head = 2, c.hd = 8, c.ffn = 64;
    c.rope_theta = 10000.0f, c.max_context = 512;
  } else if (name == "152m") {
    c.V = 50257, c.C = 768, c.n_layer = 12, c.n_head = 12, c.n_kv_head = 4, c.hd = 64, c.ffn = 2048;
    c.rope_theta = 10000.0f;
  } else if (name == "1b") {
    c.V = 50257, c.C = 2048, c.n_layer = 16, c.n_head = 32, c.n_kv_head = 8, c.hd = 64, c.ffn = 8192;
    c.tie_word_embeddings = true;
    c.rope_scaling = {"llama3", 32.0f, 1.0f, 4.0f, 8192};
  } else if (name == "8b") {
    c.V = 128256, c.C = 4096, c.n_layer = 32, c.n_head = 32, c.n_kv_head = 8, c.hd = 128, c.ffn = 14336;
    c.rope_scaling = {"llama3", 8.0f, 1.0f, 4.0f, 8192};
  } else {
    fail_input("--shape {}: expected tiny256, tiny-gpt2, 152m, 1b or 8b", name);
  }
  c.validate(name);
  return c;
}

// Row r of a tensor: N(0, sd) (norm weights: 1 + N(0, sd)), from a generator seeded by the tensor
// index and the row, so any row is reproducible on its own.
void random_row(float* out, int64_t n, uint64_t seed, int64_t tensor, int64_t row, float sd, bool norm) {
  std::mt19937_64 g(seed * 1000003u + static_cast<uint64_t>(tensor) * 7919u + static_cast<uint64_t>(row));
  std::normal_distribution<float> d(0.0f, sd);
  for (int64_t i = 0; i < n; ++i) out[i] = (norm ? 1.0f : 0.0f) + d(g);
}

void add_vocab(const ModelConfig& c, io::GgufStreamWriter& w) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  if (c.V == 256) {
    for (int i = 0; i < 256; ++i) tokens.push_back(fmt::format("<0x{:02X}>", i)), types.push_back(6);
    w.set_string("tokenizer.ggml.model", "llama");
    std::vector<float> scores(256, 0.0f);
    w.set_array_f32("tokenizer.ggml.scores", scores);
  } else {
    auto g = io::GgufFile::open(fs::path(LW_SHARED_DIR) / "data/vocab/ggml-vocab-gpt-2.gguf");
    tokens = g.get_string_array("tokenizer.ggml.tokens");
    for (int64_t t : g.get_int_array("tokenizer.ggml.token_type")) types.push_back(static_cast<int32_t>(t));
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", "gpt-2");
    w.set_array_string("tokenizer.ggml.merges", g.get_string_array("tokenizer.ggml.merges"));
    for (int i = static_cast<int>(tokens.size()); i < c.V; ++i)
      tokens.push_back(fmt::format("[PAD{}]", i)), types.push_back(5);
    if (c.V >= 128256) {
      // Llama 3's special tokens at their ids, so `write`/`serve` detect the llama3 chat format
      // (random weights never emit them: a reply runs to its token cap).
      const std::pair<int, const char*> specials[] = {{128000, "<|begin_of_text|>"},
                                                      {128001, "<|end_of_text|>"},
                                                      {128006, "<|start_header_id|>"},
                                                      {128007, "<|end_header_id|>"},
                                                      {128009, "<|eot_id|>"}};
      for (const auto& [id, text] : specials) tokens[id] = text, types[id] = 3;
      w.set_u32("tokenizer.ggml.bos_token_id", 128000);
      w.set_u32("tokenizer.ggml.eos_token_id", 128009);
    }
  }
  tokens.resize(c.V);
  types.resize(c.V);
  w.set_array_string("tokenizer.ggml.tokens", tokens);
  w.set_array_i32("tokenizer.ggml.token_type", types);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes a random Llama-family model of a named shape (GGUF in any type, or an HF directory)"};
  std::string shape_name = "152m", dtype = "f32", out;
  uint64_t seed = 1;
  float sd = 0.02f, sd_embed = -1.0f, sd_head = -1.0f;
  app.add_option("--shape", shape_name, "tiny256, tiny-gpt2 (GPT-2 vocabulary, a few MB), 152m, 1b or 8b")
      ->capture_default_str();
  app.add_option("--dtype", dtype,
                 "GGUF: a type or scheme of `longwriter convert` (f32, bf16, q8_0, q4_k_m, ...); "
                 "HF directory: f32 or bf16")
      ->capture_default_str();
  app.add_option("--seed", seed, "Random seed")->capture_default_str();
  app.add_option("--std", sd, "Standard deviation of the weights")->capture_default_str();
  app.add_option("--std-embed", sd_embed, "... of the token embedding (default: --std)");
  app.add_option("--std-head", sd_head, "... of the output projection (default: --std)");
  app.add_option("--out", out, "OUT.gguf or an HF directory")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    const ModelConfig cfg = shape(shape_name);
    const auto specs = engine::param_specs(cfg);
    if (fs::path(out).extension() != ".gguf") {  // HF directory through the engine's writer
      auto m = engine::make_random_model(cfg, seed, DType::f32, sd);
      engine::save_hf_model(cfg, m->weights(), out, dtype == "bf16" ? DType::bf16 : DType::f32);
      std::printf("wrote %s\n", out.c_str());
      return 0;
    }
    auto scheme = convert::parse_scheme(dtype);
    if (!scheme || scheme->keep) fail_input("--dtype {}: expected one of {}", dtype, convert::scheme_names());
    io::GgufStreamWriter w;
    w.set_string("general.architecture", engine::gguf_arch_name(cfg));
    w.set_string("general.name", fmt::format("random-llama-{}", shape_name));
    engine::write_gguf_config(cfg, w);
    w.set_u32("general.file_type", scheme->file_type);
    w.set_u32("general.quantization_version", 2);
    add_vocab(cfg, w);
    int64_t total = 0;
    for (const auto& s : specs) total += s.numel();
    Progress progress("weights", total, "params");
    for (size_t i = 0; i < specs.size(); ++i) {
      const engine::ParamSpec& s = specs[i];
      const DType t = convert::tensor_type(*scheme, cfg, s, false, DType::f32);
      const bool vec = s.shape.size() == 1;
      const int64_t rows = vec ? 1 : s.shape[0], cols = s.shape.back();
      const bool norm = s.role == engine::ParamRole::norm;
      const bool head =
          s.slot == engine::Slot::lm_head || (s.slot == engine::Slot::embed && cfg.tie_word_embeddings);
      const float sdt = head && sd_head > 0                             ? sd_head
                        : s.slot == engine::Slot::embed && sd_embed > 0 ? sd_embed
                                                                        : sd;
      w.add_tensor(engine::gguf_place(cfg, s, false).tensor, quant::ggml_type(t), s.shape,
                   [=, &progress](const io::GgufStreamWriter::Sink& sink) {
                     const size_t rb = engine::dtype_bytes(t, cols);
                     const int64_t chunk = 64;
                     std::vector<char> buf(static_cast<size_t>(chunk) * rb);
                     for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
                       const int64_t n = std::min(chunk, rows - r0);
#pragma omp parallel
                       {
                         std::vector<float> f(static_cast<size_t>(cols));
#pragma omp for schedule(dynamic, 1)
                         for (int64_t k = 0; k < n; ++k) {
                           random_row(f.data(), cols, seed, static_cast<int64_t>(i), r0 + k, sdt, norm);
                           engine::from_f32(t, f.data(), buf.data() + k * rb, cols);
                         }
                       }
                       sink(std::string_view(buf.data(), static_cast<size_t>(n) * rb));
                       progress.add(n * cols);
                     }
                   });
    }
    if (cfg.rope_scaling.type == "llama3") {
      engine::ModelConfig plain = cfg;
      plain.rope_scaling = {};
      auto base = engine::rope_inv_freq(plain), scaled = engine::rope_inv_freq(cfg);
      auto f = std::make_shared<std::vector<float>>();
      for (size_t k = 0; k < base.size(); ++k) f->push_back(base[k] / scaled[k]);
      w.add_tensor("rope_freqs.weight", io::GgmlType::f32, {static_cast<int64_t>(f->size())},
                   [f](const io::GgufStreamWriter::Sink& sink) {
                     sink(std::string_view(reinterpret_cast<const char*>(f->data()), f->size() * 4));
                   });
    }
    w.write(out);
    progress.finish();
    std::printf("wrote %s (%s, %s)\n", out.c_str(), shape_name.c_str(), dtype.c_str());
  } catch (const InputError& e) {
    std::fprintf(stderr, "lw_make_model: %s\n", e.what());
    return 2;
  }
  return 0;
}
