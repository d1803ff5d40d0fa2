#pragma once
// The layer kernels of the Llama-family forward, shared by the engine (f32) and the trainer (f32 for
// training, f64 for its gradient checks and the float64 golden tests): plain free functions over
// row-major activations, each with a naive reference (ops_ref.hpp) it is tested against. The
// trainer adds only what training needs (train/ops.hpp: the backward of each; train/attention.hpp:
// attention that also saves the log-sum-exp, and its backward).
// Dimension names: T tokens, C hidden, V vocab, n_head / n_kv_head heads, hd head dim, ffn SwiGLU
// width. Templates are instantiated for float and double (optional pointers, null allowed, do not
// take part in deducing F).
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "engine/tensor.hpp"

namespace lw::engine {

// Threads used by the kernels (OpenMP) and by BLAS. n <= 0: all cores.
void set_num_threads(int n);
int num_threads();
// A step of at most this many token rows (decoding, a verify step, a few short chunks) runs all its
// parallel loops on the decode thread pool (util/thread_pool.hpp), as its matrix-vector products
// do; bigger steps use OpenMP. One step never mixes the two teams: OpenMP's threads spin after a
// region and would starve the pool's through the next matrix product.
constexpr int kSmallStepRows = 16;
// The level of the kernels in use ("scalar", "avx2", "avx512", "avx512_vnni" or "avx512_bf16":
// cpu/features.hpp), chosen at run time for this CPU and LW_CPU.
const char* simd_level();

// out (T, C) = table[ids[t]] (table (V, C) in any storage dtype, or F (V, C)). Throws InputError
// for an id outside [0, V).
void embedding_forward(float* out, const int32_t* ids, int T, const Tensor& table);
template <typename F>
void embedding_forward(F* out, const int32_t* ids, int T, const F* table, int64_t V, int64_t C);

// out (T, C) = x * rstd * w with rstd (T) = 1 / sqrt(mean(x^2) + eps), the sum of squares in double
// (rstd written when non-null: the trainer saves it for the backward). out may alias x.
template <typename F>
void rmsnorm_forward(F* out, std::type_identity_t<F>* rstd, const F* x, const F* w, int T, int C, float eps);

// out (T, OC) = x (T, IC) · W^T + bias, W (OC, IC) in any storage dtype, bias (OC) f32 or null.
// T > small: BLAS sgemm (non-f32 W converted in row panels); small T (decode): a SIMD
// matrix-vector kernel that streams W once for all T rows.
void matmul_forward(float* out, const float* x, const Tensor& w, const float* bias, int T);
// The same over an F (OC, IC) matrix in memory (the trainer's weights): f32 takes the Tensor path
// above, f64 cblas_dgemm.
template <typename F>
void matmul_forward(F* out, const F* x, const F* w, const std::type_identity_t<F>* bias, int T, int IC,
                    int OC);

// Rotary tables for T positions: cos, sin (T, rot_dim/2) with angle = pos[t] * inv_freq[i]
// rounded to f32 (as HF computes it), cos and sin of it evaluated in double.
template <typename F>
void rope_cos_sin(F* cos, F* sin, const int32_t* pos, int T, const std::vector<float>& inv_freq);
// In-place rotation of x (T, n_head, hd), row stride n_head*hd: the first rot_dim dims of each head
// are rotated, the rest pass through. interleaved=false pairs (i, i+rot_dim/2) (Llama);
// interleaved=true pairs (2i, 2i+1) (GLM). inverse=true rotates by -angle (the trainer's backward:
// a rotation's transpose is its inverse).
template <typename F>
void rope_forward(F* x, const F* cos, const F* sin, int T, int n_head, int hd, int rot_dim, bool interleaved,
                  bool inverse = false);

// out (T, ffn) = silu(gate) * up; gate, up (T, ffn). out may alias gate or up. f32: the vector
// kernels of kernels/vec.hpp.
template <typename F>
void swiglu_forward(F* out, const F* gate, const F* up, int T, int ffn);

// Row-wise softmax: out (rows, cols) = softmax(x). out may alias x.
void softmax_forward(float* out, const float* x, int rows, int cols);

// out (n) += x (n): the residual adds.
template <typename F>
void add_inplace(F* out, const F* x, int64_t n);

// The dimensions of causal attention, shared by the engine's kernels and the trainer's.
struct AttnDims {
  int n_head = 0;
  int n_kv_head = 0;
  int hd = 0;
  double scale = 0.0;  // softmax scale, 1/sqrt(hd) for the models here (f32 kernels round it)
  int q_dim() const { return n_head * hd; }
  int kv_dim() const { return n_kv_head * hd; }
  // The models' attention: scale 1/sqrt(hd).
  static AttnDims causal(int n_head, int n_kv_head, int hd) {
    return {n_head, n_kv_head, hd, 1.0 / std::sqrt(static_cast<double>(hd))};
  }
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
void attention_kv_forward(float* out, float* lse, const float* q, const float* k, const float* v, int Tq,
                          int Tk, int64_t kv_stride, const AttnDims& d);

// One sequence's share of a batched attention call: Tq queries that are the last Tq of Tk
// positions. Pointers: q/out (Tq rows of q_stride floats), k/v (Tk rows of kv_stride floats),
// lse (Tq rows of lse_stride floats) or null. Head h of a row starts at h*hd.
// k/v elements are kv_dtype: f32 (activations), f16 / bf16 (a 16-bit KV cache, widened to f32
// as they are read), or q8_0 / q4_0 (a quantized KV cache: hd % 32 == 0, each head's hd elements
// whole 32-element blocks, dequantized as they are read).
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
