#pragma once
// GGUF models (llama.cpp's format): metadata <-> ModelConfig, parameter <-> tensor name, and the
// loader. Architectures: "llama" (Llama 2/3/3.1) and "chatglm" (llama.cpp's name for GLM-4, e.g.
// LongWriter-glm4-9b). Tensor types: every storage type of quant/dtype.hpp, in any per-tensor mix
// (a Q4_K_M file also holds Q6_K tensors); quantized matrices stay memory-mapped in their type.
//
// Names (both archs): token_embd, blk.{i}.attn_norm, blk.{i}.attn_output, blk.{i}.ffn_norm,
// blk.{i}.ffn_down, output_norm, output (absent when tied), rope_freqs (optional Llama 3.1
// frequency factors); llama: blk.{i}.attn_{q,k,v}, blk.{i}.ffn_{gate,up}; chatglm:
// blk.{i}.attn_qkv.{weight,bias} (q, k, v rows stacked; separate attn_{q,k,v} are read too) and
// blk.{i}.ffn_up holding [gate; up] (2*ffn rows).
// Shapes: GGUF lists ne[0] (the contiguous input dimension) first, so HF (out, in) is {in, out}.
// Row order: llama.cpp's converter reorders the rows of llama's q/k within each head from HF's
// "rotate half" pairing (i, i+hd/2) to adjacent pairs (2i, 2i+1). The loader keeps them so and
// rotates adjacent pairs (config.rope_interleaved = true, no copy: the attention scores are the
// same), unless LoadOptions::hf_row_order asks for HF's order (a copy; for saving and training).
// chatglm rotates adjacent pairs on the first half of each head in both formats: no reordering.
#include <filesystem>
#include <string>

#include "engine/config.hpp"
#include "engine/model.hpp"

namespace lw::io {
class GgufFile;
class GgufStreamWriter;
}  // namespace lw::io

namespace lw::engine {

// "llama" or "chatglm": the GGUF architecture a config is written as.
const char* gguf_arch_name(const ModelConfig& c);

// Reads the {arch}.* metadata (and the vocabulary size from tokenizer.ggml.tokens or token_embd).
// The config describes the weights in HF order (rope_interleaved false for llama). Throws
// InputError naming the file and key for other architectures or missing keys.
ModelConfig config_from_gguf(const io::GgufFile& f);
// Writes the {arch}.* hyperparameters and special token ids of `c` (the inverse).
void write_gguf_config(const ModelConfig& c, io::GgufStreamWriter& w);

// Where a parameter lives in a GGUF file: the tensor, and for a slice of chatglm's fused attn_qkv
// the rows [row0, row0 + rows) of it (rows < 0: the whole tensor).
struct GgufPlace {
  std::string tensor;
  int64_t row0 = 0;
  int64_t rows = -1;
};
GgufPlace gguf_place(const ModelConfig& c, const ParamSpec& spec, bool fused_qkv);

// Row order of q/k in GGUF llama files: gguf_row = permuted row index of HF row `r` for a
// projection of heads of hd rows each (inverse: hf_row_of_gguf_row).
int64_t gguf_row_of_hf_row(int64_t r, int hd);
int64_t hf_row_of_gguf_row(int64_t r, int hd);
// Whether a parameter's rows are stored in that permuted order.
bool gguf_rows_permuted(const ModelConfig& c, const ParamSpec& spec);

// Loads a .gguf file. Unknown tensor types, rows that the type's blocks do not divide, missing or
// mis-shaped tensors and files cut short: InputError naming the file and tensor.
std::unique_ptr<Model> load_gguf_model(const std::filesystem::path& path, const LoadOptions& opts);

}  // namespace lw::engine
