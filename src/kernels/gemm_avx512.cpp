// AVX-512 GEMM kernels: quantized weights with VNNI vpdpbusd (16 weight rows per vector), bf16
// weights with AVX512_BF16 vdpbf16ps.
// GCC 12 warns falsely inside its own AVX-512 headers (_mm512_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"
#include "quant/half.hpp"
#include "quant/repack.hpp"
#include "util/error.hpp"
#include "kernels/isa_target.hpp"

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "kernels/matvec_q.inc"
#include "cpu/vec_avx512.inc"
#include "kernels/gemm_q.inc"

struct Vnni512 {
  static constexpr int R = 16, MR = 4;
  static constexpr bool kUnsignedWide = true;
  using I = __m512i;
  static I izero() { return _mm512_setzero_si512(); }
  static I loadw(const uint8_t* p) { return _mm512_loadu_si512(p); }
  static I bcast(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
  }
  template <bool kSigned>
  static I dot(I acc, I w, I x) { return _mm512_dpbusd_epi32(acc, w, x); }
  static Vec::R cvt(I v) { return _mm512_cvtepi32_ps(v); }
  static void store(float* p, Vec::R v, int n, const float* bias) {
    const __mmask16 k = static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1);
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, bias));
    _mm512_mask_storeu_ps(p, k, v);
  }
};

// ---- bf16 weights: pairs of columns of 32 rows interleaved, vdpbf16ps against bf16 activations ----

constexpr int kBfRows = 32, kBfMR = 8;

// u32 pairs: panel[g][r] = (w[r][2g], w[r][2g+1]) for the panel's 32 rows (zero past OC).
void build_bf16_panel(const GemmArgs& a, int64_t r0, int rows, std::vector<uint32_t>& p) {
  const int64_t groups = a.IC / 2;
  p.resize(static_cast<size_t>(groups) * kBfRows);
  for (int r = 0; r < kBfRows; ++r) {
    if (r >= rows) {
      for (int64_t g = 0; g < groups; ++g) p[g * kBfRows + r] = 0;
      continue;
    }
    const auto* src = reinterpret_cast<const uint32_t*>(static_cast<const char*>(a.w) + (r0 + r) * a.w_stride);
    for (int64_t g = 0; g < groups; ++g) p[g * kBfRows + r] = src[g];
  }
}

template <int MR>
void bf16_tile(const uint32_t* panel, int64_t groups, const uint16_t* const* x, float* const* out, int valid,
               const float* bias) {
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    const __m512i w0 = _mm512_loadu_si512(panel + g * kBfRows), w1 = _mm512_loadu_si512(panel + g * kBfRows + 16);
    for (int i = 0; i < MR; ++i) {
      int32_t pair;
      std::memcpy(&pair, x[i] + 2 * g, 4);
      const __m512i xb = _mm512_set1_epi32(pair);
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], (__m512bh)w0, (__m512bh)xb);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], (__m512bh)w1, (__m512bh)xb);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < 2; ++v) {
      const int n = std::min(16, valid - 16 * v);
      if (n > 0) Vnni512::store(out[i] + 16 * v, acc[i][v], n, bias ? bias + 16 * v : nullptr);
    }
}

template <int MR>
void bf16_rest(int m, const uint32_t* panel, int64_t groups, const uint16_t* const* x, float* const* out, int valid,
               const float* bias) {
  if constexpr (MR > 0) {
    if (m == MR) return bf16_tile<MR>(panel, groups, x, out, valid, bias);
    bf16_rest<MR - 1>(m, panel, groups, x, out, valid, bias);
  }
}

void bf16_gemm(const GemmArgs& a) {
  const int64_t groups = a.IC / 2;
  std::vector<uint16_t> xb(static_cast<size_t>(a.T) * a.IC);
#pragma omp parallel for schedule(static) if (a.T >= 8)
  for (int t = 0; t < a.T; ++t)
    quantize_act_rows(ActFormat::bf16, a.x + static_cast<int64_t>(t) * a.IC, 1, a.IC, xb.data() + static_cast<size_t>(t) * a.IC);
  const int64_t npanels = (a.OC + kBfRows - 1) / kBfRows;
#pragma omp parallel
  {
    std::vector<uint32_t> panel;
    const uint16_t* x[kBfMR];
    float* out[kBfMR];
#pragma omp for schedule(dynamic, 1)
    for (int64_t pi = 0; pi < npanels; ++pi) {
      const int64_t o0 = pi * kBfRows;
      const int valid = static_cast<int>(std::min<int64_t>(kBfRows, a.OC - o0));
      build_bf16_panel(a, o0, valid, panel);
      const float* bias = a.bias ? a.bias + o0 : nullptr;
      for (int t0 = 0; t0 < a.T; t0 += kBfMR) {
        const int m = std::min(kBfMR, a.T - t0);
        for (int i = 0; i < m; ++i) {
          x[i] = xb.data() + static_cast<size_t>(t0 + i) * a.IC;
          out[i] = a.out + static_cast<int64_t>(t0 + i) * a.out_stride + o0;
        }
        if (m == kBfMR) bf16_tile<kBfMR>(panel.data(), groups, x, out, valid, bias);
        else bf16_rest<kBfMR - 1>(m, panel.data(), groups, x, out, valid, bias);
      }
    }
  }
}

bool gemm_bf16(const GemmArgs& a) {
  if (a.IC % 2 != 0) return false;
  bf16_gemm(a);
  return true;
}

template <DType T>
bool gemm_vnni(const GemmArgs& a) {
  qgemm<Vnni512, 2, false>(T, a, /*shift=*/true);
  return true;
}

template <int... I>
constexpr GemmFn pick(DType t, std::integer_sequence<int, I...>) {
  constexpr GemmFn fns[] = {&gemm_vnni<static_cast<DType>(I)>...};
  return fns[static_cast<int>(t)];
}

}  // namespace

// Quantized types with VNNI from avx512_vnni on (below it the AVX2 GEMM stays), bf16 from
// avx512_bf16 on.
void fill_gemm_avx512(KernelTable& t, cpu::Level level) {
  if (static_cast<int>(level) >= static_cast<int>(cpu::Level::avx512_vnni))
    for (int i = 0; i < kNumDTypes; ++i)
      if (traits(static_cast<DType>(i)).quantized)
        t.type[i].gemm = pick(static_cast<DType>(i), std::make_integer_sequence<int, kNumDTypes>{});
  // the repacked types (their matvec kernels are VNNI too): panels de-interleaved, then as their base
  if (static_cast<int>(level) >= static_cast<int>(cpu::Level::avx512_vnni)) {
    t.of(DType::q4_k_x16).gemm = &gemm_vnni<DType::q4_k_x16>;
    t.of(DType::q6_k_x16).gemm = &gemm_vnni<DType::q6_k_x16>;
    t.of(DType::q8_0_x16).gemm = &gemm_vnni<DType::q8_0_x16>;
  }
  if (static_cast<int>(level) >= static_cast<int>(cpu::Level::avx512_bf16))
    t.type[static_cast<int>(DType::bf16)].gemm = &gemm_bf16;
}

}  // namespace lw::kernels::isa
