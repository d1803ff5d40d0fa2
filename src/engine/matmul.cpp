// matmul_forward: the kernel layer's GEMM or BLAS sgemm for many rows (prefill, training), its
// matrix-vector kernels for a few rows (decode). Weights in any storage dtype; f32 accumulation. The
// trainer's linear layers call the F (OC, IC) overload: f32 the same path, f64 cblas_dgemm.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "engine/blas.hpp"
#include "engine/ops.hpp"
#include "kernels/gemm.hpp"
#include "kernels/matvec.hpp"
#include "kernels/table.hpp"
#include "quant/repack.hpp"
#include "util/error.hpp"
#include "util/thread_pool.hpp"

namespace lw::engine {

namespace {

// From how many rows on the GEMM (or BLAS) beats matrix-vector calls of up to 16 rows, each weight
// block unpacked once per call. Measured with bench/bench_multirow (2048 x 8192, one thread, AVX2
// and AVX-512 levels; docs/engine.md): the matrix-vector kernels win up to 16 rows for every type;
// the GEMM from 48 rows for the 256-element super-block types (its panel unpacking per call costs
// about one 16-row matrix-vector call), from 24 for q8_0, q4_0 and bf16. Types without a GEMM at
// the level (BLAS on widened weights) from 17. The repacked types below avx512_vnni never: their AVX2
// matrix-vector kernels (kernels/matvec_x16_avx2.cpp) in calls of 16 rows beat the AVX2 GEMM at every
// row count measured (1B ffn_down, one thread, 48 / 64 rows: q4_k_x16 10.1 / 13.7 ms against 17.4 /
// 22.8, q6_k_x16 14.7 / 22.0 against 25.3 / 38.6, q8_0_x16 16.2 / 20.5 against 20.2 / 23.4).
int gemm_min_rows(DType t) {
  if (!kernels::gemm_supported(t)) return kernels::kMaxMatvecRows + 1;
  if (quant::is_x16(t) && !cpu::implies(kernels::kernels().level, cpu::Level::avx512_vnni))
    return std::numeric_limits<int>::max();
  switch (quant::x16_base(t)) {
    case DType::q2_k:
    case DType::q3_k:
    case DType::q4_k:
    case DType::q5_k:
    case DType::q6_k:
    case DType::iq4_xs:
      return 48;
    default:
      return 24;
  }
}

// out (nt, OC) for nt <= kMaxMatvecRows rows of x; W rows split across threads.
void gemv(float* out, const float* x, const Tensor& w, const float* bias, int nt, int64_t OC) {
  const kernels::MatvecPlan plan = kernels::matvec_plan(w.dtype, nt);
  const int64_t IC = w.cols();
  kernels::MatvecArgs a;
  a.n = IC;
  a.w = w.data;
  a.w_stride = w.row_bytes();
  a.nt = nt;
  a.out = out;
  a.out_stride = OC;
  a.bias = bias;
  static thread_local std::vector<std::byte> act;
  kernels::prepare_act(plan, x, nt, IC, act, a);
  // Rows split over the decode thread pool (util/thread_pool.hpp), in blocks of 16.
  const int64_t block = 16;
  const int64_t nblocks = (w.rows() + block - 1) / block;
  auto rows = [&](int64_t b0, int64_t b1) {
    kernels::matvec_rows(w.dtype, plan, a, b0 * block, std::min(w.rows(), b1 * block));
  };
  if (nblocks > 4 && w.rows() * w.cols() * nt > (1 << 18))
    ThreadPool::global().parallel_for(nblocks, rows);
  else
    rows(0, nblocks);
}

}  // namespace

const char* simd_level() {
  return cpu::level_name(kernels::kernels().level);
}

void matmul_forward(float* out, const float* x, const Tensor& w, const float* bias, int T) {
  const int64_t OC = w.rows(), IC = w.cols();
  LW_CHECK(w.shape.size() == 2, "matmul_forward: weight must be a matrix");
  const auto& tr = quant::traits(w.dtype);
  LW_CHECK(IC % tr.block == 0, "{} weight needs in_features % {} == 0, got {}", tr.name, tr.block, IC);
  if (T < gemm_min_rows(w.dtype)) {
    for (int t0 = 0; t0 < T; t0 += kernels::kMaxMatvecRows) {
      int nt = std::min(kernels::kMaxMatvecRows, T - t0);
      gemv(out + t0 * OC, x + t0 * IC, w, bias, nt, OC);
    }
    return;
  }
  // The kernel layer's GEMM: the same per-row arithmetic as the matrix-vector kernels (8-bit
  // activations for quantized weights, bf16 ones for bf16 weights on AVX512_BF16 CPUs), so a prompt
  // and its token-by-token decode agree.
  kernels::GemmArgs g;
  g.OC = OC, g.IC = IC, g.w = w.data, g.w_stride = w.row_bytes(), g.x = x, g.T = T, g.out = out;
  g.out_stride = OC, g.bias = bias;
  if (kernels::gemm(w.dtype, g)) return;
  if (w.dtype == DType::f32) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, static_cast<int>(OC), static_cast<int>(IC), 1.0f,
                x, static_cast<int>(IC), w.f32(), static_cast<int>(IC), 0.0f, out, static_cast<int>(OC));
  } else {
    // Convert W in row panels to f32, then sgemm each panel into its columns of out.
    const int64_t panel = std::min<int64_t>(OC, std::max<int64_t>(64, (int64_t{1} << 22) / IC) / 16 * 16);
    std::vector<float> wf(static_cast<size_t>(panel * IC));
    for (int64_t r0 = 0; r0 < OC; r0 += panel) {
      const int64_t n = std::min(panel, OC - r0);
      const int64_t chunk = 16;
#pragma omp parallel for schedule(static) if (n * IC > (1 << 16))
      for (int64_t c = 0; c < n; c += chunk) {
        int64_t m = std::min(chunk, n - c);
        if (quant::is_x16(w.dtype)) {  // repacked (a level without its GEMM): the group's base rows
          static thread_local std::vector<char> rows;
          rows.resize(w.row_bytes() * quant::kX16Rows);
          quant::unrepack_x16(w.dtype, w.row(r0 + c), rows.data(), quant::kX16Rows, IC);
          to_f32(quant::x16_base(w.dtype), rows.data(), wf.data() + c * IC, m * IC);
          continue;
        }
        to_f32(w.dtype, w.row(r0 + c), wf.data() + c * IC, m * IC);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, static_cast<int>(n), static_cast<int>(IC), 1.0f,
                  x, static_cast<int>(IC), wf.data(), static_cast<int>(IC), 0.0f, out + r0,
                  static_cast<int>(OC));
    }
  }
  if (bias) {
#pragma omp parallel for schedule(static) if (T * OC > (1 << 16))
    for (int t = 0; t < T; ++t)
      for (int64_t o = 0; o < OC; ++o) out[t * OC + o] += bias[o];
  }
}

template <typename F>
void matmul_forward(F* out, const F* x, const F* w, const std::type_identity_t<F>* bias, int T, int IC,
                    int OC) {
  if (T == 0) return;
  if constexpr (std::is_same_v<F, float>) {
    matmul_forward(out, x, Tensor::of(const_cast<float*>(w), {OC, IC}), bias, T);
  } else {
    if (bias)  // out (T, OC) starts as the bias rows, then += x · W^T
      for (int t = 0; t < T; ++t) std::memcpy(out + static_cast<int64_t>(t) * OC, bias, sizeof(F) * OC);
    gemm(false, true, T, OC, IC, F(1), x, IC, w, IC, bias ? F(1) : F(0), out, OC);
  }
}

template void matmul_forward<float>(float*, const float*, const float*, const float*, int, int, int);
template void matmul_forward<double>(double*, const double*, const double*, const double*, int, int, int);

}  // namespace lw::engine
