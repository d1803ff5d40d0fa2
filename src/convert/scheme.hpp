#pragma once
// Quantization schemes of `convert --dtype`: which storage type each tensor gets. A plain type
// (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, iq4_xs)
// applies to every matrix, except that with a quantized type the output projection (or the
// embedding when tied) gets q6_k (q8_0 stays q8_0), as llama.cpp's quantizer assigns it. The _M and
// _S mixes follow llama.cpp's per-tensor rules for dense models:
//   q4_k_m / q5_k_m: q4_k / q5_k, with q6_k for attn_v and ffn_down in the layers
//                    use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2,
//                    and q5_k / q6_k for GLM's fused attn_qkv;
//   q4_k_s / q5_k_s: q4_k / q5_k, with q5_k for the first 4 attn_v and the first n/8 ffn_down
//                    (q4_k_s only).
// A type whose blocks do not divide a tensor's rows falls back as llama.cpp's does (q4_k -> q5_0,
// q5_k -> q5_1, q6_k -> q8_0, q2_k/q3_k/iq4_xs -> iq4_nl, then f16). Norms and biases stay f32.
#include <optional>
#include <string>

#include "engine/config.hpp"
#include "engine/params.hpp"
#include "quant/dtype.hpp"

namespace lw::convert {

struct Scheme {
  std::string name;              // as given: "keep", "q4_k_m", ...
  bool keep = false;             // each tensor keeps its input type
  quant::DType base = quant::DType::f32;
  enum class Mix { none, k_m, k_s } mix = Mix::none;
  uint32_t file_type = 0;        // GGUF general.file_type (llama.cpp's ftype number)
};

// "keep", a storage type name, or a mix; nullopt for anything else.
std::optional<Scheme> parse_scheme(const std::string& name);
// "keep, f32, f16, bf16, q8_0, ..., q4_k_m, q4_k_s, q5_k_m, q5_k_s" for --help and errors.
std::string scheme_names();

// The type of one output tensor. `spec` is the parameter (for GLM's fused attn_qkv, its q_proj
// spec with fused_qkv = true); `in` is its type in the input (for keep).
quant::DType tensor_type(const Scheme& s, const engine::ModelConfig& c, const engine::ParamSpec& spec,
                         bool fused_qkv, quant::DType in);

}  // namespace lw::convert
