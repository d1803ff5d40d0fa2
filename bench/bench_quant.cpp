// Decode matrix-vector kernels alone, one thread, per weight type and CPU level, on 1B-shaped
// matrices (ffn_up: 8192 x 2048, ffn_down: 2048 x 8192); reports weight bytes read per second.
// Baseline in the same run: BM_Read (summing the same bytes with 512/256-bit loads).
//   build/bench/bench_quant --benchmark_filter='q8_0|Read' --benchmark_repetitions=5
//                           --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include <random>
#include <vector>

#include "cpu/features.hpp"
#include "quant/dtype.hpp"
#include "kernels/matvec.hpp"

#include <fmt/format.h>

namespace {

using namespace lw;

struct Mat {
  int64_t rows, n;
  std::vector<char> w;
  std::vector<float> x;
};

const Mat& matrix(quant::DType t, int64_t rows, int64_t n) {
  static std::vector<std::pair<std::tuple<int, int64_t, int64_t>, Mat>> cache;
  for (auto& [k, m] : cache)
    if (k == std::tuple{static_cast<int>(t), rows, n}) return m;
  Mat m{rows, n, {}, {}};
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::vector<float> row(n);
  const size_t rb = quant::dtype_bytes(t, n);
  m.w.resize(rb * rows);
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = nd(rng);
    quant::traits(t).from_f32(row.data(), m.w.data() + r * rb, n);
  }
  m.x.resize(n);
  for (auto& v : m.x) v = nd(rng) * 50.0f;
  cache.emplace_back(std::tuple{static_cast<int>(t), rows, n}, std::move(m));
  return cache.back().second;
}

void BM_Matvec(benchmark::State& st, quant::DType t, cpu::Level lv, int64_t rows, int64_t n) {
  if (static_cast<int>(lv) > static_cast<int>(cpu::max_level())) {
    st.SkipWithError("level not on this CPU");
    return;
  }
  const Mat& m = matrix(t, rows, n);
  const auto plan = kernels::matvec_plan(t, 1, lv);
  std::vector<char> act(quant::act_row_bytes(plan.act, n) + 64);
  std::vector<float> out(rows);
  cpu::ScopedLevel scoped(lv);
  for (auto _ : st) {
    if (plan.act != quant::ActFormat::f32) kernels::quantize_act_rows(plan.act, m.x.data(), 1, n, act.data());
    kernels::MatvecArgs a;
    a.n = n, a.w = m.w.data(), a.w_stride = quant::dtype_bytes(t, n), a.x = m.x.data(), a.act = act.data();
    a.act_stride = quant::act_row_bytes(plan.act, n), a.out = out.data(), a.out_stride = rows;
    plan.fn(a, 0, rows);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * m.w.size()));
}

#if defined(__aarch64__)
void BM_Read(benchmark::State& st) {
  const Mat& m = matrix(quant::DType::q8_0, 8192, 2048);
  for (auto _ : st) {
    uint64x2_t s = vdupq_n_u64(0);
    for (size_t i = 0; i + 16 <= m.w.size(); i += 16)
      s = vaddq_u64(s, vreinterpretq_u64_u8(vld1q_u8(reinterpret_cast<const uint8_t*>(m.w.data() + i))));
    benchmark::DoNotOptimize(s);
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * m.w.size()));
}
#else
__attribute__((target("avx512f"))) void BM_Read(benchmark::State& st) {
  const Mat& m = matrix(quant::DType::q8_0, 8192, 2048);
  for (auto _ : st) {
    __m512i s = _mm512_setzero_si512();
    for (size_t i = 0; i + 64 <= m.w.size(); i += 64)
      s = _mm512_add_epi64(s, _mm512_loadu_si512(m.w.data() + i));
    benchmark::DoNotOptimize(s);
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * m.w.size()));
}
#endif
BENCHMARK(BM_Read);

void register_all() {
  using L = cpu::Level;
  using D = quant::DType;
  for (D t : {D::bf16, D::q8_0, D::q4_0, D::q4_k, D::q6_k, D::q5_k, D::q3_k, D::q2_k, D::iq4_xs})
#if defined(__aarch64__)
    for (L lv : {L::neon, L::dotprod, L::i8mm, L::bf16})
#else
    for (L lv : {L::avx2, L::avx512_vnni, L::avx512_bf16})
#endif
      for (auto [rows, n] : {std::pair<int64_t, int64_t>{8192, 2048}, {2048, 8192}})
        benchmark::RegisterBenchmark(
            fmt::format("BM_Matvec/{}/{}/{}x{}", quant::dtype_name(t), cpu::level_name(lv), rows, n).c_str(),
            BM_Matvec, t, lv, rows, n);
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
}
