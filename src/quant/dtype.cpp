#include "quant/dtype.hpp"

#include <array>
#include <cctype>

#include "quant/dequant_ref.hpp"
#include "quant/quantize.hpp"

namespace lw::quant {

namespace {

using A = ActFormat;

// GGUF tensor type ids (the GGML format's enum).
const std::array<TypeTraits, kNumDTypes> kTable = {{
    {DType::f32, "f32", 0, 1, 4, false, A::f32, ref::f32_to_f32, qz::f32},
    {DType::f16, "f16", 1, 1, 2, false, A::f32, ref::f16_to_f32, qz::f16},
    {DType::bf16, "bf16", 30, 1, 2, false, A::f32, ref::bf16_to_f32, qz::bf16},
    {DType::q4_0, "q4_0", 2, 32, 18, true, A::q8_32, ref::q4_0_to_f32, qz::q4_0},
    {DType::q4_1, "q4_1", 3, 32, 20, true, A::q8_32, ref::q4_1_to_f32, qz::q4_1},
    {DType::q5_0, "q5_0", 6, 32, 22, true, A::q8_32, ref::q5_0_to_f32, qz::q5_0},
    {DType::q5_1, "q5_1", 7, 32, 24, true, A::q8_32, ref::q5_1_to_f32, qz::q5_1},
    {DType::q8_0, "q8_0", 8, 32, 34, true, A::q8_32, ref::q8_0_to_f32, qz::q8_0},
    {DType::q2_k, "q2_k", 10, 256, 84, true, A::q8_256, ref::q2_k_to_f32, qz::q2_k},
    {DType::q3_k, "q3_k", 11, 256, 110, true, A::q8_256, ref::q3_k_to_f32, qz::q3_k},
    {DType::q4_k, "q4_k", 12, 256, 144, true, A::q8_256, ref::q4_k_to_f32, qz::q4_k},
    {DType::q5_k, "q5_k", 13, 256, 176, true, A::q8_256, ref::q5_k_to_f32, qz::q5_k},
    {DType::q6_k, "q6_k", 14, 256, 210, true, A::q8_256, ref::q6_k_to_f32, qz::q6_k},
    {DType::iq4_nl, "iq4_nl", 20, 32, 18, true, A::q8_32, ref::iq4_nl_to_f32, qz::iq4_nl},
    {DType::iq4_xs, "iq4_xs", 23, 256, 136, true, A::q8_256, ref::iq4_xs_to_f32, qz::iq4_xs},
}};

bool table_in_order() {
  for (int i = 0; i < kNumDTypes; ++i)
    if (static_cast<int>(kTable[i].type) != i) return false;
  return true;
}
[[maybe_unused]] const bool kOrdered = table_in_order();

}  // namespace

const TypeTraits& traits(DType t) { return kTable[static_cast<size_t>(t)]; }

std::optional<DType> dtype_from_ggml(uint32_t g) {
  for (const auto& tr : kTable)
    if (tr.ggml_type == g) return tr.type;
  return std::nullopt;
}

std::optional<DType> parse_dtype(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& tr : kTable)
    if (lower == tr.name) return tr.type;
  return std::nullopt;
}

std::string supported_dtype_list() {
  std::string s;
  for (const auto& tr : kTable) {
    if (!s.empty()) s += ", ";
    s += tr.name;
  }
  return s;
}

}  // namespace lw::quant
