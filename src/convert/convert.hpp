#pragma once
// `longwriter convert`: HF safetensors model directories <-> GGUF files, and GGUF -> GGUF, for the
// llama and chatglm (GLM-4) architectures, in any storage type or quantization scheme
// (convert/scheme.hpp), so models trained here run in llama.cpp / Ollama and theirs run here.
//
// HF -> GGUF: config.json becomes {llama,chatglm}.* metadata (context_length, embedding_length, block_count,
//   feed_forward_length, attention.head_count[_kv], key/value_length, layer_norm_rms_epsilon,
//   rope.freq_base, rope.dimension_count, vocab_size; linear rope scaling as rope.scaling.*; llama3
//   rope scaling as the rope_freqs.weight tensor of per-frequency divisors, as llama.cpp does).
//   Tensors are renamed (engine/gguf_model.hpp), and q_proj/k_proj rows are permuted within each
//   head from HF's rotate-half order to llama.cpp's interleaved order. A byte-level BPE
//   tokenizer.json becomes tokenizer.ggml.* (model "gpt2": tokens, token_type, merges, pre, special
//   ids); tokenizer_config.json's chat_template becomes tokenizer.chat_template. GLM-4's q/k/v are
//   written as one attn_qkv tensor (with its bias) and gate/up as one ffn_up, as llama.cpp's
//   chatglm architecture has them. Quantized types are written by quant/quantize.hpp.
// GGUF -> GGUF: the same writer over a GGUF input (re-quantize an f16/bf16 download, say); the
//   tokenizer.* metadata is copied.
// GGUF -> HF: the inverse (quantized tensors are dequantized): config.json, model.safetensors, and for a "gpt2" vocabulary
//   tokenizer.json + tokenizer_config.json (chat_template, bos/eos). A SentencePiece ("llama")
//   vocabulary cannot be written as tokenizer.model; the GGUF file itself stays usable as
//   --tokenizer.
#include <filesystem>
#include <string>

namespace lw::convert {

struct ConvertOptions {
  // Storage type of the matrices in the output: "keep" (as in the input; quantized tensors become
  // f32 in safetensors), a type or a mix of convert/scheme.hpp for GGUF output (q8_0, q4_k_m, ...),
  // f32 / f16 / bf16 for HF output. Norm weights are always f32 in GGUF (as llama.cpp writes them).
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
// `in`: a .gguf file; `out`: the .gguf file to write.
ConvertReport convert_gguf_to_gguf(const std::filesystem::path& in, const std::filesystem::path& out,
                                   const ConvertOptions& opts = {});
// `in`: a .gguf file; `out`: the directory to create (config.json, model.safetensors, tokenizer).
ConvertReport convert_gguf_to_hf(const std::filesystem::path& in, const std::filesystem::path& out,
                                 const ConvertOptions& opts = {});

}  // namespace lw::convert
