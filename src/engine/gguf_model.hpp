#pragma once
// GGUF models (llama.cpp's format), architecture "llama": metadata <-> ModelConfig, tensor names
// <-> the canonical HF names of engine/params.hpp, and llama.cpp's row permutation of q/k.
//
// Names: token_embd.weight, blk.{i}.attn_norm.weight, blk.{i}.attn_{q,k,v,output}.weight,
// blk.{i}.ffn_norm.weight, blk.{i}.ffn_{gate,up,down}.weight, output_norm.weight, output.weight
// (absent when tied), rope_freqs.weight (optional Llama 3.1 frequency factors).
// Shapes: GGUF lists ne[0] (the contiguous input dimension) first, so HF (out, in) is {in, out}.
// Permutation: llama.cpp's converter reorders the rows of q_proj/k_proj within each head from HF's
// "rotate half" pairing (i, i+hd/2) to adjacent pairs (2i, 2i+1); the loader undoes it, so weights
// in memory are always in HF order.
#include <filesystem>
#include <string>

#include "engine/config.hpp"
#include "engine/model.hpp"

namespace lw::io {
class GgufFile;
}

namespace lw::engine {

// Reads llama.* metadata (and the vocabulary size from tokenizer.ggml.tokens or token_embd).
// Throws InputError naming the file and key for other architectures or missing keys.
ModelConfig config_from_gguf(const io::GgufFile& f);

// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight"; "" when it has no GGUF name.
std::string gguf_tensor_name(const std::string& hf_name);

// Row order of q/k in GGUF files: gguf_row = permuted row index of HF row `r` for a projection of
// n_heads heads of hd rows each (inverse: hf_row_of_gguf_row).
int64_t gguf_row_of_hf_row(int64_t r, int hd);
int64_t hf_row_of_gguf_row(int64_t r, int hd);

// Loads a .gguf file (f32, f16, bf16, q8_0 tensors). Other ggml types: InputError naming the
// tensor and its type.
std::unique_ptr<Model> load_gguf_model(const std::filesystem::path& path, const LoadOptions& opts);

}  // namespace lw::engine
