#pragma once
// Quantizers: f32 rows -> GGML blocks, for every weight type. Each fits its block parameters by a
// small search (candidate scales, then a least-squares refit of scale and offset for the chosen
// integers, keeping the lowest squared error), then rounds the parameters to their stored precision
// (f16 scales, 6-bit or 4-bit sub-block scales) and re-picks the integers for the rounded values.
// n is a multiple of the type's block size.
#include <cstdint>

namespace lw::quant::qz {

void q4_0(const float* x, void* dst, int64_t n);
void q4_1(const float* x, void* dst, int64_t n);
void q5_0(const float* x, void* dst, int64_t n);
void q5_1(const float* x, void* dst, int64_t n);
void q8_0(const float* x, void* dst, int64_t n);
void q2_k(const float* x, void* dst, int64_t n);
void q3_k(const float* x, void* dst, int64_t n);
void q4_k(const float* x, void* dst, int64_t n);
void q5_k(const float* x, void* dst, int64_t n);
void q6_k(const float* x, void* dst, int64_t n);
void iq4_nl(const float* x, void* dst, int64_t n);
void iq4_xs(const float* x, void* dst, int64_t n);
void f32(const float* x, void* dst, int64_t n);
void f16(const float* x, void* dst, int64_t n);
void bf16(const float* x, void* dst, int64_t n);

}  // namespace lw::quant::qz
