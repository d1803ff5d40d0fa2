#pragma once
// Forward kernels of the engine: plain free functions over f32 activations, each with a naive
// reference (ops_ref.hpp) it is tested against. Dimension names: T tokens, C hidden, V vocab,
// n_head / n_kv_head heads, hd head dim, ffn SwiGLU width. All buffers are row-major.
// The trainer (src/train) has its own forward/backward pairs of these layers (train/ops.hpp).
#include <cstdint>
#include <vector>

#include "engine/tensor.hpp"

namespace lw::engine {

// Threads used by the kernels (OpenMP) and by BLAS. n <= 0: all cores.
void set_num_threads(int n);
int num_threads();
// "avx512", "avx2" or "scalar": the matrix-vector path chosen at run time for this CPU.
const char* simd_level();

// out (T, C) = table[ids[t]] (table (V, C) in any storage dtype). Throws InputError for an id
// outside [0, V).
void embedding_forward(float* out, const int32_t* ids, int T, const Tensor& table);

// out (T, C) = x / sqrt(mean(x^2) + eps) * w; rstd (T) = 1/sqrt(mean(x^2)+eps) when non-null.
// out may alias x.
void rmsnorm_forward(float* out, float* rstd, const float* x, const float* w, int T, int C,
                     float eps);

// out (T, OC) = x (T, IC) · W^T + bias, W (OC, IC) in any storage dtype, bias (OC) f32 or null.
// T > small: BLAS sgemm (non-f32 W converted in row panels); small T (decode): a SIMD
// matrix-vector kernel that streams W once for all T rows.
void matmul_forward(float* out, const float* x, const Tensor& w, const float* bias, int T);

// Rotary tables for T positions: cos, sin (T, rot_dim/2); angle = pos[t] * inv_freq[i].
void rope_cos_sin(float* cos, float* sin, const int32_t* pos, int T,
                  const std::vector<float>& inv_freq);
// In-place rotation of x (T, n_head, hd), row stride n_head*hd: the first rot_dim dims of each head
// are rotated, the rest pass through. interleaved=false pairs (i, i+rot_dim/2) (Llama);
// interleaved=true pairs (2i, 2i+1) (GLM). inverse=true rotates by -angle (used by the backward).
void rope_forward(float* x, const float* cos, const float* sin, int T, int n_head, int hd,
                  int rot_dim, bool interleaved, bool inverse = false);

// out (T, ffn) = silu(gate) * up; gate, up (T, ffn). out may alias gate or up.
void swiglu_forward(float* out, const float* gate, const float* up, int T, int ffn);

// Row-wise softmax: out (rows, cols) = softmax(x). out may alias x.
void softmax_forward(float* out, const float* x, int rows, int cols);

// out (T, C) += x (T, C).
void add_inplace(float* out, const float* x, int64_t n);

struct AttnDims {
  int n_head = 0;
  int n_kv_head = 0;
  int hd = 0;
  float scale = 0.0f;  // usually 1/sqrt(hd)
};

// Variable-length causal attention over packed sequences: token t of sequence s (cu_seqlens[s] <=
// t < cu_seqlens[s+1]) attends to tokens cu_seqlens[s]..t only. Tiled with an online softmax:
// extra memory O(tile) per thread, never O(T^2).
//   q (T, n_head, hd), k, v (T, n_kv_head, hd), out (T, n_head, hd);
//   lse (T, n_head) = log-sum-exp of the scaled scores (for the backward), or null.
//   cu_seqlens (n_seq + 1), cu_seqlens[0] = 0, cu_seqlens[n_seq] = T.
void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const int32_t* cu_seqlens, int n_seq, const AttnDims& d);

// Causal attention of Tq new queries against Tk keys, the queries being the last Tq positions
// (decode: Tq = 1; chunked prefill into a KV cache). q (Tq, n_head, hd), out (Tq, n_head, hd),
// k, v (Tk rows of kv_stride floats, the first n_kv_head*hd used), lse (Tq, n_head) or null.
void attention_kv_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                          int Tq, int Tk, int64_t kv_stride, const AttnDims& d);

// One sequence's share of a batched attention call: Tq queries that are the last Tq of Tk
// positions. Pointers: q/out (Tq rows of q_stride floats), k/v (Tk rows of kv_stride floats),
// lse (Tq rows of lse_stride floats) or null. Head h of a row starts at h*hd.
// k/v elements are kv_dtype: f32 (activations), or f16 / bf16 (a 16-bit KV cache, widened to f32
// as they are read).
struct AttnSeq {
  const float* q;
  const void* k;
  const void* v;
  float* out;
  float* lse;
  int Tq, Tk;
  int64_t q_stride, kv_stride, lse_stride;
  DType kv_dtype = DType::f32;
};
// Runs every (sequence, head, query tile) of the batch in one parallel loop (batched decode:
// many sequences with Tq = 1; prefill into a cache: Tq = new tokens).
void attention_seqs_forward(const std::vector<AttnSeq>& seqs, const AttnDims& d);

}  // namespace lw::engine
