// matvec_plan and quantize_act_rows: the entries of the level's kernel table.
#include "kernels/matvec.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/table.hpp"
#include "quant/repack.hpp"
#include "util/error.hpp"

namespace lw::kernels {

MatvecPlan matvec_plan(DType t, int nt, cpu::Level level) {
  LW_CHECK(nt >= 1 && nt <= kMaxMatvecRows, "matvec: {} activation rows (1..{})", nt, kMaxMatvecRows);
  const TypeKernels& k = kernels(level).of(t);
  return {k.matvec[nt - 1], k.act};
}

namespace {

// Columns per chunk: activations of nt rows within the budget, a multiple of 256 (every block size
// divides it), at least one block; n (no chunking) when everything fits, and for one row (its
// activations stream through once per weight row either way: decode of one sequence is unchanged).
int64_t chunk_cols(DType t, ActFormat f, int nt, int64_t n) {
  const size_t row = quant::act_row_bytes(f, n);
  if (nt == 1 || row * static_cast<size_t>(nt) <= kMatvecActBudget) return n;
  const double per_col = static_cast<double>(row) / static_cast<double>(n) * nt;
  const int64_t unit = std::max<int64_t>(256, quant::traits(t).block);
  const int64_t cols = static_cast<int64_t>(static_cast<double>(kMatvecActBudget) / per_col) / unit * unit;
  return std::min(n, std::max(unit, cols));
}

}  // namespace

void matvec_rows(DType t, const MatvecPlan& plan, const MatvecArgs& a, int64_t r0, int64_t r1) {
  const int64_t kc = chunk_cols(t, plan.act, a.nt, a.n);
  if (kc >= a.n) {
    plan.fn(a, r0, r1);
    return;
  }
  const int64_t xs = a.x_stride ? a.x_stride : a.n;
  // repacked types: a tile is one group of 16 rows, a column offset moves over 16 rows' blocks
  const bool x16 = quant::is_x16(t);
  const int64_t tile = x16 ? quant::kX16Rows : kMatvecTileRows;
  float part[kMaxMatvecRows * quant::kX16Rows];  // (nt, tile) one chunk's outputs
  static_assert(kMatvecTileRows <= quant::kX16Rows);
  for (int64_t rt = r0; rt < r1; rt += tile) {
    const int64_t rows = std::min(tile, r1 - rt);
    for (int t = 0; t < a.nt; ++t)
      for (int64_t r = 0; r < rows; ++r) a.out[t * a.out_stride + rt + r] = a.bias ? a.bias[rt + r] : 0.0f;
    for (int64_t c0 = 0; c0 < a.n; c0 += kc) {
      MatvecArgs s = a;
      s.n = std::min(kc, a.n - c0);
      s.w = static_cast<const char*>(a.w) + static_cast<size_t>(rt) * a.w_stride +
            (x16 && rows == tile ? quant::kX16Rows : 1) * quant::dtype_bytes(t, c0);  // a group / base rows
      s.x = a.x ? a.x + c0 : nullptr;
      s.x_stride = xs;
      if (a.act) s.act = static_cast<const char*>(a.act) + quant::act_row_bytes(plan.act, c0);
      s.out = part;
      s.out_stride = rows;
      s.bias = nullptr;
      plan.fn(s, 0, rows);
      for (int t = 0; t < a.nt; ++t)
        for (int64_t r = 0; r < rows; ++r) a.out[t * a.out_stride + rt + r] += part[t * rows + r];
    }
  }
}

void prepare_act(const MatvecPlan& plan, const float* x, int nt, int64_t n, std::vector<std::byte>& buf,
                 MatvecArgs& a) {
  a.x = x, a.x_stride = n, a.act = nullptr, a.act_stride = 0;
  if (plan.act == ActFormat::f32 && nt == 1) return;
  const size_t rb = quant::act_row_bytes(plan.act, n), stride = rb + 64;
  if (buf.size() < stride * static_cast<size_t>(nt)) buf.resize(stride * static_cast<size_t>(nt));
  if (plan.act == ActFormat::f32) {
    for (int t = 0; t < nt; ++t) std::memcpy(buf.data() + stride * t, x + static_cast<int64_t>(t) * n, rb);
    a.x = reinterpret_cast<const float*>(buf.data());
    a.x_stride = static_cast<int64_t>(stride / sizeof(float));
    return;
  }
  const QuantizeActFn q = kernels().quantize_act[static_cast<int>(plan.act)];
  for (int t = 0; t < nt; ++t) q(x + static_cast<int64_t>(t) * n, n, buf.data() + stride * t);
  a.act = buf.data();
  a.act_stride = stride;
}

void quantize_act_rows(ActFormat f, const float* x, int nt, int64_t n, void* out) {
  const QuantizeActFn q = kernels().quantize_act[static_cast<int>(f)];
  const size_t rb = quant::act_row_bytes(f, n);
  for (int t = 0; t < nt; ++t)
    q(x + static_cast<int64_t>(t) * n, n, static_cast<char*>(out) + static_cast<size_t>(t) * rb);
}

}  // namespace lw::kernels
