#pragma once
// Decode attention (one query row per sequence): the `group` query heads that share one KV head
// attend, at position Tk - 1, to keys 0..Tk-1. Used by attention_seqs_forward for sequences with
// Tq == 1; the general tiled kernel stays the path for everything else and is its reference in
// tests (tests/engine/test_ops.cpp).
#include <cstdint>

#include "engine/tensor.hpp"

namespace lw::engine {

// Whether attend_decode_group can run here: the level has a decode kernel (avx2 and above) and hd
// is 32, 64 or 128.
bool decode_attention_supported(int hd);

// q (group, hd): the group's query heads, contiguous; out (group, hd) likewise.
// k, v: Tk rows of kv_stride elements of kv_dtype (f32, f16, bf16, q8_0 or q4_0), this KV head's hd
// at the start of each row; 16-bit elements are widened and quantized blocks dequantized in registers.
// lse (group) = log-sum-exp of the scaled scores, or null. scores: scratch of group * Tk floats.
// Two passes over the keys (scores, then the softmax-weighted sum of values), each K and V row
// read once for the whole group. Extra memory: the scores, O(Tk) per thread.
void attend_decode_group(const float* q, const void* k, const void* v, DType kv_dtype, int64_t kv_stride,
                         int hd, int group, float scale, int Tk, float* out, float* lse, float* scores);

}  // namespace lw::engine
