#pragma once
// `longwriter convert`: HF safetensors model directories <-> GGUF files (llama architecture;
// f32, f16, bf16), so models trained here run in llama.cpp / Ollama and theirs run here.
//
// HF -> GGUF: config.json becomes llama.* metadata (context_length, embedding_length, block_count,
//   feed_forward_length, attention.head_count[_kv], key/value_length, layer_norm_rms_epsilon,
//   rope.freq_base, rope.dimension_count, vocab_size; linear rope scaling as rope.scaling.*; llama3
//   rope scaling as the rope_freqs.weight tensor of per-frequency divisors, as llama.cpp does).
//   Tensors are renamed (engine/gguf_model.hpp), and q_proj/k_proj rows are permuted within each
//   head from HF's rotate-half order to llama.cpp's interleaved order. A byte-level BPE
//   tokenizer.json becomes tokenizer.ggml.* (model "gpt2": tokens, token_type, merges, pre, special
//   ids); tokenizer_config.json's chat_template becomes tokenizer.chat_template.
// GGUF -> HF: the inverse: config.json, model.safetensors, and for a "gpt2" vocabulary
//   tokenizer.json + tokenizer_config.json (chat_template, bos/eos). A SentencePiece ("llama")
//   vocabulary cannot be written as tokenizer.model; the GGUF file itself stays usable as
//   --tokenizer.
#include <filesystem>
#include <string>

namespace lw::serve {

struct ConvertOptions {
  // Storage type of the matrices in the output: "keep" (as in the input; q8_0 becomes f32),
  // "f32", "f16" or "bf16". Norm weights are always f32 in GGUF (as llama.cpp writes them).
  std::string dtype = "keep";
  std::string name;        // general.name (default: the input's directory or file name)
  bool tokenizer = true;   // carry the tokenizer over when the input has one
};

struct ConvertReport {
  int tensors = 0;
  size_t bytes = 0;            // tensor bytes written
  bool tokenizer = false;      // tokenizer metadata / files written
  std::string notes;           // what was left out, one line each
};

// `in`: an HF model directory; `out`: the .gguf file to write (atomically).
ConvertReport convert_hf_to_gguf(const std::filesystem::path& in, const std::filesystem::path& out,
                                 const ConvertOptions& opts = {});
// `in`: a .gguf file; `out`: the directory to create (config.json, model.safetensors, tokenizer).
ConvertReport convert_gguf_to_hf(const std::filesystem::path& in, const std::filesystem::path& out,
                                 const ConvertOptions& opts = {});

}  // namespace lw::serve
