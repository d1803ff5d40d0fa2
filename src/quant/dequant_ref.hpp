#pragma once
// Reference dequantization of every type: scalar, products and sums rounded one at a time in the
// order the GGML format defines them, so the results are bit-identical to its reference decoder
// (checked against committed vectors in tests/quant). n is a multiple of the type's block size.
#include <cstdint>

namespace lw::quant::ref {

void f32_to_f32(const void* src, float* dst, int64_t n);
void f16_to_f32(const void* src, float* dst, int64_t n);
void bf16_to_f32(const void* src, float* dst, int64_t n);
void q4_0_to_f32(const void* src, float* dst, int64_t n);
void q4_1_to_f32(const void* src, float* dst, int64_t n);
void q5_0_to_f32(const void* src, float* dst, int64_t n);
void q5_1_to_f32(const void* src, float* dst, int64_t n);
void q8_0_to_f32(const void* src, float* dst, int64_t n);
void q2_k_to_f32(const void* src, float* dst, int64_t n);
void q3_k_to_f32(const void* src, float* dst, int64_t n);
void q4_k_to_f32(const void* src, float* dst, int64_t n);
void q5_k_to_f32(const void* src, float* dst, int64_t n);
void q6_k_to_f32(const void* src, float* dst, int64_t n);
void iq4_nl_to_f32(const void* src, float* dst, int64_t n);
void iq4_xs_to_f32(const void* src, float* dst, int64_t n);

}  // namespace lw::quant::ref
