// The activation formats: row sizes, the scalar quantizer and the double-precision reference dot.
#include <cmath>
#include <cstring>
#include <vector>

#include "quant/blocks.hpp"
#include "quant/half.hpp"
#include "quant/act.hpp"
#include "util/error.hpp"

namespace lw::quant {

size_t act_row_bytes(ActFormat f, int64_t n) {
  switch (f) {
    case ActFormat::f32: return static_cast<size_t>(n) * 4;
    case ActFormat::q8_32: return static_cast<size_t>(n / QK) * sizeof(ActQ8_32);
    case ActFormat::q8_256: return static_cast<size_t>(n / QK_K) * sizeof(ActQ8_256);
    case ActFormat::bf16: return static_cast<size_t>(n) * 2;
  }
  return 0;
}

namespace ref {

namespace {
// q = nearbyint(x * id) for a block; returns the sum of q.
int quantize_block(const float* x, int n, int8_t* q, float& d) {
  float amax = 0;
  for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  d = amax / 127.0f;
  const float id = amax > 0 ? 127.0f / amax : 0.0f;
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    q[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
    sum += q[i];
  }
  return sum;
}
}  // namespace

void quantize_act_row(ActFormat f, const float* x, int64_t n, void* out) {
  if (f == ActFormat::f32) {
    std::memcpy(out, x, static_cast<size_t>(n) * 4);
  } else if (f == ActFormat::bf16) {
    auto* o = static_cast<uint16_t*>(out);
    for (int64_t i = 0; i < n; ++i) o[i] = f32_to_bf16(x[i]);
  } else if (f == ActFormat::q8_32) {
    auto* b = static_cast<ActQ8_32*>(out);
    for (int64_t i = 0; i < n / QK; ++i) b[i].sum = quantize_block(x + i * QK, QK, b[i].qs, b[i].d);
  } else {
    auto* b = static_cast<ActQ8_256*>(out);
    for (int64_t i = 0; i < n / QK_K; ++i) {
      quantize_block(x + i * QK_K, QK_K, b[i].qs, b[i].d);
      for (int g = 0; g < 16; ++g) {
        int s = 0;
        for (int l = 0; l < 16; ++l) s += b[i].qs[16 * g + l];
        b[i].bsums[g] = static_cast<int16_t>(s);
      }
    }
  }
}

double dot_act(DType t, ActFormat f, const void* w_row, const void* act_row, int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  traits(t).to_f32_ref(w_row, w.data(), n);
  double s = 0;
  if (f == ActFormat::q8_32) {
    const auto* b = static_cast<const ActQ8_32*>(act_row);
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(w[i]) * b[i / QK].d * b[i / QK].qs[i % QK];
  } else if (f == ActFormat::q8_256) {
    const auto* b = static_cast<const ActQ8_256*>(act_row);
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(w[i]) * b[i / QK_K].d * b[i / QK_K].qs[i % QK_K];
  } else if (f == ActFormat::bf16) {
    const auto* x = static_cast<const uint16_t*>(act_row);
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(w[i]) * bf16_to_f32(x[i]);
  } else {
    const auto* x = static_cast<const float*>(act_row);
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(w[i]) * x[i];
  }
  return s;
}

}  // namespace ref

}  // namespace lw::quant
