#pragma once
// The storage types of weight tensors and their one table of traits: GGUF type id, block size,
// bytes per block, the activation format of their dot products, and the reference kernels
// (decode a row to f32, quantize a row from f32). Every loader, writer and kernel asks this table;
// no other file knows a block size.
//
// Types: f32, f16, bf16 (plain), and the GGML block formats q4_0 q4_1 q5_0 q5_1 q8_0 iq4_nl
// (32-element blocks) and q2_k q3_k q4_k q5_k q6_k iq4_xs (256-element super-blocks); layouts in
// quant/blocks.hpp. Rows are quantized along their last (input) dimension, so a row of n elements
// needs n % block == 0.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lw::io {
enum class GgmlType : uint32_t;  // io/gguf.hpp
}

namespace lw::quant {

enum class DType : uint8_t {
  f32, f16, bf16,
  q4_0, q4_1, q5_0, q5_1, q8_0,
  q2_k, q3_k, q4_k, q5_k, q6_k,
  iq4_nl, iq4_xs,
  // In-memory only (quant/repack.hpp): 16 weight rows interleaved for the multi-row kernels. Never in
  // a file, no row decode (to_f32 fails): a reader that does not know the layout fails loudly.
  q4_k_x16, q6_k_x16, q8_0_x16,
};
constexpr int kNumDTypes = 15;     // the storage types (files, quantizers, row decode)
constexpr int kNumAllDTypes = 18;  // and the repacked ones (tables indexed by DType)

// The activation format a weight type's dot products read: f32 for the float types, the 8-bit
// blocks of quant/blocks.hpp for the quantized ones, bf16 for bf16 weights on CPUs with
// AVX512_BF16 (vdpbf16ps multiplies bf16 pairs).
enum class ActFormat : uint8_t { f32, q8_32, q8_256, bf16 };

using RowToF32 = void (*)(const void* src, float* dst, int64_t n);
using RowFromF32 = void (*)(const float* src, void* dst, int64_t n);

struct TypeTraits {
  DType type;
  const char* name;       // "q4_k"
  uint32_t ggml_type;     // the tensor type id in GGUF files
  int block;              // elements per block (1 for plain types)
  int block_bytes;        // bytes per block
  bool quantized;
  ActFormat act;
  RowToF32 to_f32_ref;    // reference decode (scalar; bit-exact to the GGML format's definition)
  RowFromF32 from_f32;    // quantize (n % block == 0)
};

const TypeTraits& traits(DType t);
inline std::string dtype_name(DType t) { return traits(t).name; }
// Bytes of n elements (n a multiple of the block size).
inline size_t dtype_bytes(DType t, int64_t n) {
  const TypeTraits& tr = traits(t);
  return static_cast<size_t>(n / tr.block) * static_cast<size_t>(tr.block_bytes);
}
// The GGUF tensor type id of t (what GGUF writers store).
inline io::GgmlType ggml_type(DType t) { return static_cast<io::GgmlType>(traits(t).ggml_type); }
// The type stored under a GGUF tensor type id, if supported.
std::optional<DType> dtype_from_ggml(uint32_t ggml_type);
// Whether t is a repacked (row-interleaved) type, and its base type (t itself otherwise).
inline bool is_x16(DType t) { return static_cast<int>(t) >= kNumDTypes; }
DType x16_base(DType t);
// The repacked type of base type t, if there is one.
std::optional<DType> x16_of(DType t);
// "q4_k", "Q4_K", "iq4_xs", ... (storage types only)
std::optional<DType> parse_dtype(std::string_view name);
// "f32, f16, bf16, q4_0, ..." for error messages.
std::string supported_dtype_list();

}  // namespace lw::quant
