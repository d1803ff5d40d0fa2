// Reference decoders of the GGML block formats (layouts in blocks.hpp). Compiled with
// -ffp-contract=off: each product and sum is rounded on its own, as the format's definition.
#include "quant/dequant_ref.hpp"

#include <cstring>

#include "quant/blocks.hpp"
#include "quant/half.hpp"

namespace lw::quant {

void q3k_scales(const uint8_t* p, int8_t out[16]) {
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? (p[j] & 0xF) : (p[j - 8] >> 4);
    const int high = (p[8 + (j % 4)] >> (2 * (j / 4))) & 3;
    out[j] = static_cast<int8_t>(low | (high << 4));
  }
}

namespace ref {

namespace {
template <typename B>
const B* blocks(const void* p) {
  return static_cast<const B*>(p);
}
float h(uint16_t v) { return quant::f16_to_f32(v); }
}  // namespace

void f32_to_f32(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * 4); }

void f16_to_f32(const void* src, float* dst, int64_t n) {
  const auto* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = h(s[i]);
}

void bf16_to_f32(const void* src, float* dst, int64_t n) {
  const auto* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = quant::bf16_to_f32(s[i]);
}

void q4_0_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ4_0>(src);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const float d = h(b[i].d);
    for (int j = 0; j < QK / 2; ++j) {
      y[j] = static_cast<float>((b[i].qs[j] & 0xF) - 8) * d;
      y[j + QK / 2] = static_cast<float>((b[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void q4_1_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ4_1>(src);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const float d = h(b[i].d), m = h(b[i].m);
    for (int j = 0; j < QK / 2; ++j) {
      y[j] = static_cast<float>(b[i].qs[j] & 0xF) * d + m;
      y[j + QK / 2] = static_cast<float>(b[i].qs[j] >> 4) * d + m;
    }
  }
}

namespace {
// The 5-bit values of a Q5 block: low nibbles from qs, fifth bits from qh.
void q5_values(const uint8_t* qs, const uint8_t* qh4, int out[QK]) {
  uint32_t qh;
  std::memcpy(&qh, qh4, 4);
  for (int j = 0; j < QK / 2; ++j) {
    out[j] = (qs[j] & 0xF) | static_cast<int>(((qh >> j) << 4) & 0x10);
    out[j + QK / 2] = (qs[j] >> 4) | static_cast<int>((qh >> (j + 12)) & 0x10);
  }
}
}  // namespace

void q5_0_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ5_0>(src);
  int q[QK];
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const float d = h(b[i].d);
    q5_values(b[i].qs, b[i].qh, q);
    for (int j = 0; j < QK; ++j) y[j] = static_cast<float>(q[j] - 16) * d;
  }
}

void q5_1_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ5_1>(src);
  int q[QK];
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const float d = h(b[i].d), m = h(b[i].m);
    q5_values(b[i].qs, b[i].qh, q);
    for (int j = 0; j < QK; ++j) y[j] = static_cast<float>(q[j]) * d + m;
  }
}

void q8_0_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ8_0>(src);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const float d = h(b[i].d);
    for (int j = 0; j < QK; ++j) y[j] = static_cast<float>(b[i].qs[j]) * d;
  }
}

void q2_k_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ2_K>(src);
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = h(b[i].d), dmin = h(b[i].dmin);
    const uint8_t* q = b[i].qs;
    int s = 0;
    for (int half = 0; half < 2; ++half, q += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part, ++s) {
          const uint8_t sc = b[i].scales[s];
          const float dl = d * static_cast<float>(sc & 0xF), ml = dmin * static_cast<float>(sc >> 4);
          for (int l = 0; l < 16; ++l) *y++ = dl * static_cast<float>((q[l + 16 * part] >> shift) & 3) - ml;
        }
      }
    }
  }
}

void q3_k_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ3_K>(src);
  int8_t sc[16];
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = h(b[i].d);
    q3k_scales(b[i].scales, sc);
    const uint8_t* q = b[i].qs;
    uint8_t m = 1;
    int s = 0;
    for (int half = 0; half < 2; ++half, q += 32) {
      for (int shift = 0; shift < 8; shift += 2, m = static_cast<uint8_t>(m << 1)) {
        for (int part = 0; part < 2; ++part, ++s) {
          const float dl = d * static_cast<float>(sc[s] - 32);
          for (int l = 0; l < 16; ++l) {
            const int k = l + 16 * part;
            const int v = ((q[k] >> shift) & 3) - ((b[i].hmask[k] & m) ? 0 : 4);
            *y++ = dl * static_cast<float>(v);
          }
        }
      }
    }
  }
}

void q4_k_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ4_K>(src);
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = h(b[i].d), dmin = h(b[i].dmin);
    const uint8_t* q = b[i].qs;
    for (int j = 0; j < 8; j += 2, q += 32) {
      uint8_t sc, m;
      k4_scale_min(j, b[i].scales, sc, m);
      const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
      k4_scale_min(j + 1, b[i].scales, sc, m);
      const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void q5_k_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ5_K>(src);
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = h(b[i].d), dmin = h(b[i].dmin);
    const uint8_t* ql = b[i].qs;
    const uint8_t* qh = b[i].qh;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < 8; j += 2, ql += 32) {
      uint8_t sc, m;
      k4_scale_min(j, b[i].scales, sc, m);
      const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
      k4_scale_min(j + 1, b[i].scales, sc, m);
      const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      u1 = static_cast<uint8_t>(u1 << 2);
      u2 = static_cast<uint8_t>(u2 << 2);
    }
  }
}

void q6_k_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockQ6_K>(src);
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = h(b[i].d);
    const uint8_t* ql = b[i].ql;
    const uint8_t* qh = b[i].qh;
    const int8_t* sc = b[i].scales;
    for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

void iq4_nl_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockIQ4_NL>(src);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const float d = h(b[i].d);
    for (int j = 0; j < QK / 2; ++j) {
      y[j] = d * static_cast<float>(kIq4nl[b[i].qs[j] & 0xF]);
      y[j + QK / 2] = d * static_cast<float>(kIq4nl[b[i].qs[j] >> 4]);
    }
  }
}

void iq4_xs_to_f32(const void* src, float* y, int64_t n) {
  const auto* b = blocks<BlockIQ4_XS>(src);
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = h(b[i].d);
    const uint8_t* qs = b[i].qs;
    for (int ib = 0; ib < 8; ++ib, y += 32, qs += 16) {
      const int ls = ((b[i].scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((b[i].scales_h >> (2 * ib)) & 3) << 4);
      const float dl = d * static_cast<float>(ls - 32);
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * static_cast<float>(kIq4nl[qs[j] & 0xF]);
        y[j + 16] = dl * static_cast<float>(kIq4nl[qs[j] >> 4]);
      }
    }
  }
}

}  // namespace ref
}  // namespace lw::quant
