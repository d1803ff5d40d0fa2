#include "quant/dtype.hpp"

#include <array>
#include <cctype>

#include "io/gguf.hpp"
#include "quant/dequant_ref.hpp"
#include "quant/quantize.hpp"
#include "util/error.hpp"

namespace lw::quant {

namespace {

using A = ActFormat;

// The storage type of each GGML tensor type this project decodes: the GGUF type id, then its
// name and block sizes from io's GGML type table (io/gguf.hpp), the activation format and the
// reference kernels.
TypeTraits row(DType t, io::GgmlType g, bool quantized, ActFormat act, RowToF32 to, RowFromF32 from) {
  const io::GgmlTypeTraits s = io::ggml_type_traits(g);
  return {t,
          io::ggml_type_name(g),
          static_cast<uint32_t>(g),
          static_cast<int>(s.block_size),
          static_cast<int>(s.type_size),
          quantized,
          act,
          to,
          from};
}

// A repacked type: the sizes of its base type (per row: a group of 16 rows is 16 base rows' bytes),
// no GGUF id, no row decode or encode.
void no_rows_to(const void*, float*, int64_t) {
  fail("a repacked (row-interleaved) weight has no row decode; unrepack it first (quant/repack.hpp)");
}
void no_rows_from(const float*, void*, int64_t) {
  fail("a repacked (row-interleaved) weight cannot be encoded from rows (quant/repack.hpp)");
}
TypeTraits x16_row(DType t, io::GgmlType base, const char* name, ActFormat act) {
  TypeTraits tr = row(t, base, true, act, no_rows_to, no_rows_from);
  tr.name = name;
  tr.ggml_type = 0xFFFFFFFFu;  // matches no GGUF type id
  return tr;
}

using G = io::GgmlType;
const std::array<TypeTraits, kNumAllDTypes> kTable = {{
    row(DType::f32, G::f32, false, A::f32, ref::f32_to_f32, qz::f32),
    row(DType::f16, G::f16, false, A::f32, ref::f16_to_f32, qz::f16),
    row(DType::bf16, G::bf16, false, A::f32, ref::bf16_to_f32, qz::bf16),
    row(DType::q4_0, G::q4_0, true, A::q8_32, ref::q4_0_to_f32, qz::q4_0),
    row(DType::q4_1, G::q4_1, true, A::q8_32, ref::q4_1_to_f32, qz::q4_1),
    row(DType::q5_0, G::q5_0, true, A::q8_32, ref::q5_0_to_f32, qz::q5_0),
    row(DType::q5_1, G::q5_1, true, A::q8_32, ref::q5_1_to_f32, qz::q5_1),
    row(DType::q8_0, G::q8_0, true, A::q8_32, ref::q8_0_to_f32, qz::q8_0),
    row(DType::q2_k, G::q2_k, true, A::q8_256, ref::q2_k_to_f32, qz::q2_k),
    row(DType::q3_k, G::q3_k, true, A::q8_256, ref::q3_k_to_f32, qz::q3_k),
    row(DType::q4_k, G::q4_k, true, A::q8_256, ref::q4_k_to_f32, qz::q4_k),
    row(DType::q5_k, G::q5_k, true, A::q8_256, ref::q5_k_to_f32, qz::q5_k),
    row(DType::q6_k, G::q6_k, true, A::q8_256, ref::q6_k_to_f32, qz::q6_k),
    row(DType::iq4_nl, G::iq4_nl, true, A::q8_32, ref::iq4_nl_to_f32, qz::iq4_nl),
    row(DType::iq4_xs, G::iq4_xs, true, A::q8_256, ref::iq4_xs_to_f32, qz::iq4_xs),
    x16_row(DType::q4_k_x16, G::q4_k, "q4_k_x16", A::q8_256),
    x16_row(DType::q6_k_x16, G::q6_k, "q6_k_x16", A::q8_256),
    x16_row(DType::q8_0_x16, G::q8_0, "q8_0_x16", A::q8_32),
}};

bool table_in_order() {
  for (int i = 0; i < kNumAllDTypes; ++i)
    if (static_cast<int>(kTable[i].type) != i) return false;
  return true;
}
[[maybe_unused]] const bool kOrdered = table_in_order();

}  // namespace

const TypeTraits& traits(DType t) {
  return kTable[static_cast<size_t>(t)];
}

DType x16_base(DType t) {
  switch (t) {
    case DType::q4_k_x16: return DType::q4_k;
    case DType::q6_k_x16: return DType::q6_k;
    case DType::q8_0_x16: return DType::q8_0;
    default: return t;
  }
}

std::optional<DType> x16_of(DType t) {
  switch (t) {
    case DType::q4_k: return DType::q4_k_x16;
    case DType::q6_k: return DType::q6_k_x16;
    case DType::q8_0: return DType::q8_0_x16;
    default: return std::nullopt;
  }
}

std::optional<DType> dtype_from_ggml(uint32_t g) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (kTable[i].ggml_type == g) return kTable[i].type;
  return std::nullopt;
}

std::optional<DType> parse_dtype(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < kNumDTypes; ++i)
    if (lower == kTable[i].name) return kTable[i].type;
  return std::nullopt;
}

std::string supported_dtype_list() {
  std::string s;
  for (int i = 0; i < kNumDTypes; ++i) {
    if (!s.empty()) s += ", ";
    s += kTable[i].name;
  }
  return s;
}

}  // namespace lw::quant
