// Quantizers of the GGML block formats (see quantize.hpp for the method).
#include "quant/quantize.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/blocks.hpp"
#include "quant/half.hpp"

namespace lw::quant::qz {

namespace {

// Round to nearest, ties to even (the default MXCSR mode): what std::lrintf gives, without the call.
#if defined(__x86_64__) || defined(__i386__)
inline int nint(float v) { return _mm_cvt_ss2si(_mm_set_ss(v)); }
#elif defined(__aarch64__)
inline int nint(float v) { return vcvtns_s32_f32(v); }  // fcvtns: nearest, ties to even
#else
inline int nint(float v) { return static_cast<int>(std::lrintf(v)); }
#endif
inline int clampi(int v, int lo, int hi) { return std::min(hi, std::max(lo, v)); }
// f32 -> f16 -> f32: the value a stored scale will have.
inline float f16r(float v) { return f16_to_f32(f32_to_f16(v)); }

// ---- symmetric fit: x ~ d * q, q in [qmin, qmax] ----

// Squared error of x ~ d * q with q = clamp(round(x / d)); writes q.
float sym_err(const float* x, int n, float d, int qmin, int qmax, int* q) {
  if (d == 0.0f) {
    float e = 0;
    for (int i = 0; i < n; ++i) {
      q[i] = 0;
      e += x[i] * x[i];
    }
    return e;
  }
  const float id = 1.0f / d;
  float e = 0;
  for (int i = 0; i < n; ++i) {
    q[i] = clampi(nint(x[i] * id), qmin, qmax);
    const float r = x[i] - d * static_cast<float>(q[i]);
    e += r * r;
  }
  return e;
}

// The best scale for x ~ d * q, q in [qmin, qmax] (qmin = -qmax - 1 or -qmax): candidates map the
// largest-magnitude value onto either end of the range, widened and narrowed by small steps, each
// followed by a least-squares refit of d for its integers. `round` rounds a scale to its stored
// precision (identity when the caller rounds later).
template <typename Round>
float fit_sym(const float* x, int n, int qmin, int qmax, int ntry, Round round) {
  float amax = 0, vmax = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      vmax = x[i];
    }
  if (amax == 0) return 0;
  int q[QK_K];
  float best_d = round(vmax / static_cast<float>(qmin < -qmax ? qmin : -qmax));
  float best = sym_err(x, n, best_d, qmin, qmax, q);
  auto consider = [&](float d) {
    d = round(d);
    float e = sym_err(x, n, d, qmin, qmax, q);
    // least-squares d for these integers
    double sxq = 0, sqq = 0;
    for (int i = 0; i < n; ++i) {
      sxq += static_cast<double>(x[i]) * q[i];
      sqq += static_cast<double>(q[i]) * q[i];
    }
    if (e < best) best = e, best_d = d;
    if (sqq > 0) {
      const float d2 = round(static_cast<float>(sxq / sqq));
      const float e2 = sym_err(x, n, d2, qmin, qmax, q);
      if (e2 < best) best = e2, best_d = d2;
    }
  };
  for (int t = -ntry; t <= ntry; ++t) {
    const float step = 0.1f * static_cast<float>(t);
    consider(vmax / (static_cast<float>(qmin) + step));         // extreme -> most negative integer
    consider(vmax / (static_cast<float>(qmax) + step));          // extreme -> most positive integer
  }
  return best_d;
}

// ---- affine fit: x ~ s * q - m, q in [0, L], m >= 0 ----

float aff_err(const float* x, int n, float s, float m, int L, int* q) {
  float e = 0;
  if (s <= 0) {
    for (int i = 0; i < n; ++i) {
      q[i] = 0;
      const float r = x[i] + m;
      e += r * r;
    }
    return e;
  }
  const float is = 1.0f / s;
  for (int i = 0; i < n; ++i) {
    q[i] = clampi(nint((x[i] + m) * is), 0, L);
    const float r = x[i] - (s * static_cast<float>(q[i]) - m);
    e += r * r;
  }
  return e;
}

// Least-squares (s, m) for fixed integers q, with m >= 0 (x ~ s*q - m).
void aff_refit(const float* x, const int* q, int n, float& s, float& m) {
  double sq = 0, sqq = 0, sx = 0, sxq = 0;
  for (int i = 0; i < n; ++i) {
    sq += q[i];
    sqq += static_cast<double>(q[i]) * q[i];
    sx += x[i];
    sxq += static_cast<double>(x[i]) * q[i];
  }
  const double det = n * sqq - sq * sq;
  if (det <= 0) return;
  double ss = (n * sxq - sq * sx) / det;
  double mm = (sq * sxq - sqq * sx) / det;  // x ~ ss*q - mm
  if (mm < 0) {  // the offset may not be positive-going: refit the scale alone with m = 0
    mm = 0;
    ss = sqq > 0 ? sxq / sqq : 0;
  }
  s = static_cast<float>(ss);
  m = static_cast<float>(mm);
}

// The best (s, m) for x ~ s*q - m, q in [0, L], m >= 0.
void fit_aff(const float* x, int n, int L, int ntry, float& best_s, float& best_m) {
  float mn = x[0], mx = x[0];
  for (int i = 1; i < n; ++i) mn = std::min(mn, x[i]), mx = std::max(mx, x[i]);
  mn = std::min(mn, 0.0f);
  int q[QK_K];
  best_m = -mn;
  best_s = mx > mn ? (mx - mn) / static_cast<float>(L) : 0.0f;
  float best = aff_err(x, n, best_s, best_m, L, q);
  if (mx <= mn) return;
  for (int t = -ntry; t <= ntry; ++t) {
    float s = (mx - mn) / (static_cast<float>(L) + 0.1f * static_cast<float>(t)), m = -mn;
    for (int it = 0; it < 2; ++it) {
      const float e = aff_err(x, n, s, m, L, q);
      if (e < best) best = e, best_s = s, best_m = m;
      aff_refit(x, q, n, s, m);
    }
    const float e = aff_err(x, n, s, m, L, q);
    if (e < best) best = e, best_s = s, best_m = m;
  }
}

// ---- the non-linear IQ4 grid ----

// Index of the grid value nearest to v (grid sorted ascending).
inline int iq4_nearest(float v) {
  static const float mid[15] = {-115.5f, -93.5f, -74.0f, -57.0f, -42.0f, -28.5f, -16.0f, -4.5f,
                                7.0f,    19.0f,  31.5f,  45.5f,  61.0f,  79.0f,  101.0f};
  int k = 0;
  for (int j = 0; j < 15; ++j) k += v > mid[j];
  return k;
}

float iq4_err(const float* x, int n, float d, int* q) {
  float e = 0;
  if (d == 0) {
    for (int i = 0; i < n; ++i) q[i] = 8, e += x[i] * x[i];  // kIq4nl[8] = 1: the value nearest 0
    return e;
  }
  const float id = 1.0f / d;
  for (int i = 0; i < n; ++i) {
    q[i] = iq4_nearest(x[i] * id);
    const float r = x[i] - d * static_cast<float>(kIq4nl[q[i]]);
    e += r * r;
  }
  return e;
}

// The best d for x ~ d * grid[q].
template <typename Round>
float fit_iq4(const float* x, int n, int ntry, Round round) {
  float amax = 0, vmax = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), vmax = x[i];
  if (amax == 0) return 0;
  int q[QK] = {};
  float best_d = round(vmax / -127.0f);
  float best = iq4_err(x, n, best_d, q);
  auto consider = [&](float d) {
    d = round(d);
    const float e = iq4_err(x, n, d, q);
    if (e < best) best = e, best_d = d;
    double sxv = 0, svv = 0;
    for (int i = 0; i < n; ++i) {
      const double v = kIq4nl[q[i]];
      sxv += x[i] * v;
      svv += v * v;
    }
    if (svv > 0) {
      const float d2 = round(static_cast<float>(sxv / svv));
      const float e2 = iq4_err(x, n, d2, q);
      if (e2 < best) best = e2, best_d = d2;
    }
  };
  for (int t = -ntry; t <= ntry; ++t) {
    consider(vmax / (-127.0f + static_cast<float>(t)));
    consider(vmax / (113.0f + static_cast<float>(t)));
  }
  return best_d;
}

const auto kNoRound = [](float v) { return v; };
const auto kF16Round = [](float v) { return f16r(v); };

// q 4-bit values of a 32-block into the qs nibble layout (element j low, j+16 high).
void pack_nibbles(const int* q, uint8_t* qs) {
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>(q[j] | (q[j + 16] << 4));
}

// Q5: low nibbles into qs, fifth bits into qh (bit j of a little-endian u32).
void pack_q5(const int* q, uint8_t* qs, uint8_t* qh) {
  uint32_t h = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
    h |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    h |= static_cast<uint32_t>((q[j + 16] >> 4) & 1) << (j + 16);
  }
  std::memcpy(qh, &h, 4);
}

// Affine 32-blocks (q4_1, q5_1): x ~ d*q + m, with d and m stored as f16.
void block_affine32(const float* x, int L, uint16_t& d16, uint16_t& m16, int* q) {
  float s, m;
  fit_aff(x, QK, L, 6, s, m);
  // stored: x = d*q + mo with mo = -m (m16 may be negative here: the format allows any f16)
  const float d = f16r(s), mo = f16r(-m);
  d16 = f32_to_f16(d);
  m16 = f32_to_f16(mo);
  const float id = d != 0 ? 1.0f / d : 0.0f;
  for (int i = 0; i < QK; ++i) q[i] = clampi(nint((x[i] - mo) * id), 0, L);
}

}  // namespace

void f32(const float* x, void* dst, int64_t n) { std::memcpy(dst, x, static_cast<size_t>(n) * 4); }
void f16(const float* x, void* dst, int64_t n) {
  auto* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = f32_to_f16(x[i]);
}
void bf16(const float* x, void* dst, int64_t n) {
  auto* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(x[i]);
}

void q8_0(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / QK; ++i, x += QK) {
    float amax = 0;
    for (int j = 0; j < QK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = f16r(amax / 127.0f);
    b[i].d = f32_to_f16(d);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    for (int j = 0; j < QK; ++j) b[i].qs[j] = static_cast<int8_t>(clampi(nint(x[j] * id), -127, 127));
  }
}

void q4_0(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_0*>(dst);
  int q[QK] = {};
  for (int64_t i = 0; i < n / QK; ++i, x += QK) {
    const float d = fit_sym(x, QK, -8, 7, 6, kF16Round);
    b[i].d = f32_to_f16(d);
    sym_err(x, QK, d, -8, 7, q);
    for (int& v : q) v += 8;
    pack_nibbles(q, b[i].qs);
  }
}

void q5_0(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_0*>(dst);
  int q[QK] = {};
  for (int64_t i = 0; i < n / QK; ++i, x += QK) {
    const float d = fit_sym(x, QK, -16, 15, 6, kF16Round);
    b[i].d = f32_to_f16(d);
    sym_err(x, QK, d, -16, 15, q);
    for (int& v : q) v += 16;
    pack_q5(q, b[i].qs, b[i].qh);
  }
}

void q4_1(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_1*>(dst);
  int q[QK] = {};
  for (int64_t i = 0; i < n / QK; ++i, x += QK) {
    block_affine32(x, 15, b[i].d, b[i].m, q);
    pack_nibbles(q, b[i].qs);
  }
}

void q5_1(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_1*>(dst);
  int q[QK] = {};
  for (int64_t i = 0; i < n / QK; ++i, x += QK) {
    block_affine32(x, 31, b[i].d, b[i].m, q);
    pack_q5(q, b[i].qs, b[i].qh);
  }
}

namespace {

// K-quant affine super-block: nsub sub-blocks of `len` elements, x ~ (d*sc[j]) * q - (dmin*mq[j]),
// q in [0, L], sc/mq integers in [0, smax]. Fills d, dmin, sc, mq and q (256 values).
void kquant_affine(const float* x, int nsub, int len, int L, int smax, float& d, float& dmin, int* sc,
                   int* mq, int* q) {
  float s[16], m[16];
  float smx = 0, mmx = 0;
  for (int j = 0; j < nsub; ++j) {
    fit_aff(x + j * len, len, L, 3, s[j], m[j]);
    smx = std::max(smx, s[j]);
    mmx = std::max(mmx, m[j]);
  }
  d = f16r(smx / static_cast<float>(smax));
  dmin = f16r(mmx / static_cast<float>(smax));
  const float id = d > 0 ? 1.0f / d : 0.0f, idm = dmin > 0 ? 1.0f / dmin : 0.0f;
  int tmp[32];
  for (int j = 0; j < nsub; ++j) {
    const float* xj = x + j * len;
    // try the integer scale/min on both sides of the exact ratio; keep the best requantization
    const int s0 = clampi(static_cast<int>(std::floor(s[j] * id)), 0, smax);
    const int m0 = clampi(static_cast<int>(std::floor(m[j] * idm)), 0, smax);
    float best = INFINITY;
    for (int a = s0; a <= std::min(s0 + 1, smax); ++a)
      for (int c = m0; c <= std::min(m0 + 1, smax); ++c) {
        const float e = aff_err(xj, len, d * static_cast<float>(a), dmin * static_cast<float>(c), L, tmp);
        if (e < best) {
          best = e;
          sc[j] = a;
          mq[j] = c;
          std::memcpy(q + j * len, tmp, sizeof(int) * static_cast<size_t>(len));
        }
      }
  }
}

// K-quant symmetric super-block: x ~ (d*sc[j]) * q, q in [qmin, qmax], sc in [smin, smax].
void kquant_sym(const float* x, int nsub, int len, int qmin, int qmax, int smin, int smax, float& d, int* sc,
                int* q) {
  float s[16];
  float amax = 0, vmax = 0;
  for (int j = 0; j < nsub; ++j) {
    s[j] = fit_sym(x + j * len, len, qmin, qmax, 3, kNoRound);
    if (std::fabs(s[j]) > amax) amax = std::fabs(s[j]), vmax = s[j];
  }
  // map the largest sub-block scale onto the negative end of the integer range (one more step)
  d = amax > 0 ? f16r(vmax / static_cast<float>(smin)) : 0.0f;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  int tmp[32];
  for (int j = 0; j < nsub; ++j) {
    const float* xj = x + j * len;
    const int a0 = clampi(static_cast<int>(std::floor(s[j] * id)), smin, smax);
    float best = INFINITY;
    for (int a = a0; a <= std::min(a0 + 1, smax); ++a) {
      const float e = sym_err(xj, len, d * static_cast<float>(a), qmin, qmax, tmp);
      if (e < best) {
        best = e;
        sc[j] = a;
        std::memcpy(q + j * len, tmp, sizeof(int) * static_cast<size_t>(len));
      }
    }
  }
}

// Packs 8 6-bit scales and mins into Q4_K/Q5_K's 12 bytes (inverse of k4_scale_min).
void pack_k4_scales(const int* sc, const int* m, uint8_t* out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>(sc[j] & 63);
    out[j + 4] = static_cast<uint8_t>(m[j] & 63);
  }
  for (int j = 4; j < 8; ++j) {
    out[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
    out[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
    out[j] |= static_cast<uint8_t>((m[j] >> 4) << 6);
  }
}

}  // namespace

void q4_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_K*>(dst);
  int sc[8] = {}, mq[8] = {}, q[QK_K] = {};
  for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
    float d, dmin;
    kquant_affine(x, 8, 32, 15, 63, d, dmin, sc, mq, q);
    b[i].d = f32_to_f16(d);
    b[i].dmin = f32_to_f16(dmin);
    pack_k4_scales(sc, mq, b[i].scales);
    for (int j = 0; j < 4; ++j)
      for (int l = 0; l < 32; ++l)
        b[i].qs[32 * j + l] = static_cast<uint8_t>(q[64 * j + l] | (q[64 * j + 32 + l] << 4));
  }
}

void q5_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_K*>(dst);
  int sc[8] = {}, mq[8] = {}, q[QK_K] = {};
  for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
    float d, dmin;
    kquant_affine(x, 8, 32, 31, 63, d, dmin, sc, mq, q);
    b[i].d = f32_to_f16(d);
    b[i].dmin = f32_to_f16(dmin);
    pack_k4_scales(sc, mq, b[i].scales);
    std::memset(b[i].qh, 0, sizeof b[i].qh);
    for (int j = 0; j < 4; ++j)
      for (int l = 0; l < 32; ++l) {
        const int lo = q[64 * j + l], hi = q[64 * j + 32 + l];
        b[i].qs[32 * j + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        b[i].qh[l] |= static_cast<uint8_t>(((lo >> 4) & 1) << (2 * j));
        b[i].qh[l] |= static_cast<uint8_t>(((hi >> 4) & 1) << (2 * j + 1));
      }
  }
}

void q6_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ6_K*>(dst);
  int sc[16] = {}, q[QK_K] = {};
  for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
    float d;
    kquant_sym(x, 16, 16, -32, 31, -128, 127, d, sc, q);
    b[i].d = f32_to_f16(d);
    for (int j = 0; j < 16; ++j) b[i].scales[j] = static_cast<int8_t>(sc[j]);
    for (int half = 0; half < 2; ++half) {
      uint8_t* ql = b[i].ql + 64 * half;
      uint8_t* qh = b[i].qh + 32 * half;
      const int* qq = q + 128 * half;
      for (int l = 0; l < 32; ++l) {
        const int q1 = qq[l] + 32, q2 = qq[l + 32] + 32, q3 = qq[l + 64] + 32, q4 = qq[l + 96] + 32;
        ql[l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

void q3_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ3_K*>(dst);
  int sc[16] = {}, q[QK_K] = {};
  for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
    float d;
    kquant_sym(x, 16, 16, -4, 3, -32, 31, d, sc, q);
    b[i].d = f32_to_f16(d);
    std::memset(b[i].scales, 0, 12);
    for (int j = 0; j < 16; ++j) {
      const int v = sc[j] + 32;  // 0..63
      if (j < 8) b[i].scales[j] |= static_cast<uint8_t>(v & 0xF);
      else b[i].scales[j - 8] |= static_cast<uint8_t>((v & 0xF) << 4);
      b[i].scales[8 + (j % 4)] |= static_cast<uint8_t>((v >> 4) << (2 * (j / 4)));
    }
    std::memset(b[i].hmask, 0, sizeof b[i].hmask);
    std::memset(b[i].qs, 0, sizeof b[i].qs);
    // element order: half h (128), shift s (0..3, 32 each), l (0..31) -> index 128h + 32s + l
    for (int h = 0; h < 2; ++h)
      for (int s = 0; s < 4; ++s)
        for (int l = 0; l < 32; ++l) {
          const int v = q[128 * h + 32 * s + l] + 4;  // 0..7
          b[i].qs[32 * h + l] |= static_cast<uint8_t>((v & 3) << (2 * s));
          if (v & 4) b[i].hmask[l] |= static_cast<uint8_t>(1 << (4 * h + s));
        }
  }
}

void q2_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ2_K*>(dst);
  int sc[16] = {}, mq[16] = {}, q[QK_K] = {};
  for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
    float d, dmin;
    kquant_affine(x, 16, 16, 3, 15, d, dmin, sc, mq, q);
    b[i].d = f32_to_f16(d);
    b[i].dmin = f32_to_f16(dmin);
    for (int j = 0; j < 16; ++j) b[i].scales[j] = static_cast<uint8_t>(sc[j] | (mq[j] << 4));
    std::memset(b[i].qs, 0, sizeof b[i].qs);
    for (int h = 0; h < 2; ++h)
      for (int s = 0; s < 4; ++s)
        for (int l = 0; l < 32; ++l)
          b[i].qs[32 * h + l] |= static_cast<uint8_t>(q[128 * h + 32 * s + l] << (2 * s));
  }
}

void iq4_nl(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockIQ4_NL*>(dst);
  int q[QK] = {};
  for (int64_t i = 0; i < n / QK; ++i, x += QK) {
    const float d = fit_iq4(x, QK, 7, kF16Round);
    b[i].d = f32_to_f16(d);
    iq4_err(x, QK, d, q);
    pack_nibbles(q, b[i].qs);
  }
}

void iq4_xs(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockIQ4_XS*>(dst);
  int q[32] = {}, tmp[32] = {};
  for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
    float s[8], amax = 0, vmax = 0;
    for (int j = 0; j < 8; ++j) {
      s[j] = fit_iq4(x + 32 * j, 32, 5, kNoRound);
      if (std::fabs(s[j]) > amax) amax = std::fabs(s[j]), vmax = s[j];
    }
    const float d = amax > 0 ? f16r(vmax / -32.0f) : 0.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = f32_to_f16(d);
    b[i].scales_h = 0;
    std::memset(b[i].scales_l, 0, sizeof b[i].scales_l);
    for (int j = 0; j < 8; ++j) {
      const float* xj = x + 32 * j;
      const int a0 = clampi(static_cast<int>(std::floor(s[j] * id)), -32, 31);
      float best = INFINITY;
      int ls = a0;
      for (int a = a0; a <= std::min(a0 + 1, 31); ++a) {
        const float e = iq4_err(xj, 32, d * static_cast<float>(a), tmp);
        if (e < best) best = e, ls = a, std::memcpy(q, tmp, sizeof q);
      }
      const int v = ls + 32;
      b[i].scales_l[j / 2] |= static_cast<uint8_t>((v & 0xF) << (4 * (j % 2)));
      b[i].scales_h |= static_cast<uint16_t>((v >> 4) << (2 * j));
      pack_nibbles(q, b[i].qs + 16 * j);
    }
  }
}

}  // namespace lw::quant::qz
