#pragma once
// Row-major GEMM for f32 (cblas_sgemm) and f64 (cblas_dgemm, used by the double-precision
// gradient checks). C (M, N) = alpha * op(A) (M, K) @ op(B) (K, N) + beta * C.
// LW_ACCELERATE (CMake option, macOS): Apple's Accelerate framework in place of OpenBLAS.
#ifdef LW_ACCELERATE
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

namespace lw::engine {

inline void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                 int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
}
inline void gemm(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda,
                 const double* B, int ldb, double beta, double* C, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
}

}  // namespace lw::engine
