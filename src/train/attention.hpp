#pragma once
// Variable-length causal attention over packed sequences (cu_seqlens = [0, end_1, ..., T]): a token
// attends only to tokens of its own sequence at or before it. GQA: query head h reads key/value
// head h / (n_head / n_kv_head).
//
// Memory is linear in T: queries are processed in blocks of `kBlockQ` rows; for each block the
// scores against the causal key prefix of its sequence live in a per-thread scratch of
// (kBlockQ, sequence length) — never the (T, T) matrix. The forward saves only the output and the
// per-row log-sum-exp; the backward recomputes the probabilities from them (flash-style).
//
// This is the one layer whose forward the trainer does not take from the engine: it must save the
// log-sum-exp in every precision (the engine's tiled kernels are f32 and online-softmax). Dims and
// the lse layout are the engine's (engine::AttnDims, lse (T, n_head)); its oracle is
// engine::ref::attention_forward.
#include <cstdint>
#include <vector>

#include "engine/ops.hpp"

namespace lw::train {

using engine::AttnDims;

constexpr int kBlockQ = 128;

// q (T, n_head, hd), k/v (T, n_kv_head, hd) -> out (T, n_head, hd), lse (T, n_head), with
// T = cu_seqlens.back() and softmax scale d.scale.
template <typename F>
void attention_forward(F* out, F* lse, const F* q, const F* k, const F* v,
                       const std::vector<int32_t>& cu_seqlens, const AttnDims& d);

// dq (T, n_head, hd), dk/dv (T, n_kv_head, hd) are OVERWRITTEN.
template <typename F>
void attention_backward(F* dq, F* dk, F* dv, const F* dout, const F* q, const F* k, const F* v, const F* out,
                        const F* lse, const std::vector<int32_t>& cu_seqlens, const AttnDims& d);

// Throws InputError unless cu starts at 0, strictly increases and ends at T.
void check_cu_seqlens(const std::vector<int32_t>& cu, int T, const char* where);

}  // namespace lw::train
