#pragma once
// A tiny random-init Llama written as an HF directory (config.json + model.safetensors) once per
// test program, served with the llama-spm vocabulary from the shared data and the
// llama3-longwriter chat format.
#include <filesystem>
#include <string>
#include <unistd.h>

#include "engine/model.hpp"
#include "engine/save.hpp"
#include "io/gguf.hpp"
#include "convert/gguf_tokenizer.hpp"
#include "serve/local_backend.hpp"
#include "support/shared_data.hpp"

namespace lw::testing {

inline std::string spm_vocab() { return lw::testing::data_file("vocab/ggml-vocab-llama-spm.gguf"); }

inline engine::ModelConfig tiny_serve_config() {
  engine::ModelConfig c;
  c.arch = engine::Arch::llama;
  c.V = 32000;  // the llama-spm vocabulary
  c.C = 32;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_kv_head = 2;
  c.hd = 8;
  c.ffn = 64;
  c.max_context = 512;
  c.bos_id = 1;
  c.eos_ids = {2};
  return c;
}

// The directory of the tiny model (created on first use, removed by the OS's tmp cleaning).
inline std::filesystem::path tiny_model_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("lw_serve_tiny_" + std::to_string(::getpid()));
    auto cfg = tiny_serve_config();
    auto m = engine::make_random_model(cfg, /*seed=*/7, engine::DType::f32, /*std=*/0.5f);
    engine::save_hf_model(cfg, m->weights(), d);
    return d;
  }();
  return dir;
}

// A tiny random Llama over the GPT-2 vocabulary with its own tokenizer.json (written from the shared
// GGUF vocabulary), usable without --tokenizer; format llama3-longwriter (<|endoftext|> as BOS/EOS).
inline std::filesystem::path tiny_gpt2_model_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("lw_serve_tiny_gpt2_" + std::to_string(::getpid()));
    auto cfg = tiny_serve_config();
    cfg.V = 50257;
    cfg.bos_id = 50256;
    cfg.eos_ids = {50256};
    auto m = engine::make_random_model(cfg, /*seed=*/8, engine::DType::f32, /*std=*/0.5f);
    engine::save_hf_model(cfg, m->weights(), d);
    std::string notes;
    auto vocab = io::GgufFile::open(lw::testing::data_file("vocab/ggml-vocab-gpt-2.gguf"));
    convert::write_hf_tokenizer_from_gguf(vocab, d, notes);
    return d;
  }();
  return dir;
}

inline serve::LocalOptions tiny_options(int parallel = 4) {
  serve::LocalOptions o;
  o.tokenizer = spm_vocab();
  o.format = "llama3-longwriter";
  o.parallel = parallel;
  o.threads = 1;
  return o;
}

}  // namespace lw::testing
