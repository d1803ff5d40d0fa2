// Multi-row decode against the machine's roofline: one weight matrix (as (OC, IC): 1b 2048 x 8192
// (ffn_down), 1b_up 8192 x 2048 (ffn_up / gate), 8b 4096 x 14336) times R activation rows, through the
// matrix-vector kernels (one call for all R rows: each weight block read and unpacked once) and through the
// GEMM, per weight type (and the repacked types q4_k_x16, q6_k_x16, q8_0_x16: quant/repack.hpp) and CPU level, on all
// the decode thread pool's threads (the engine's decode path). Each benchmark reports the time per call, the
// weight bytes read per second (GB/s) and the multiply-add rate (Gop/s, 2 ops per multiply-add, int8 for the
// quantized types, bf16 or f32 for the float ones), and as fractions of the machine's bounds measured by this
// program at start: With LW_BENCH_THREADS=1 every time and rate is per CPU second of the one thread (a
// machine shared with other jobs still gives steady numbers: one core's roofline); with more threads, per
// wall second.
//   bw_frac   weight GB/s / the streaming read bandwidth of a 1 GiB buffer (BM_MemRead)
//   op_frac   Gop/s / the peak of the instruction the kernel multiplies with, all threads, from a
//             register-only loop (BM_Peak: vpmaddubsw ymm at avx2, vpdpbusd zmm from avx512_vnni,
//             vdpbf16ps zmm for bf16 at avx512_bf16, vfmadd231ps ymm/zmm for the other floats)
//
//   LW_BENCH_THREADS=1 build/bench/bench_multirow --benchmark_filter='q4_k/avx512_bf16/1b/'
//                              --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   build/bench/bench_multirow --benchmark_filter='BM_MemRead|BM_Peak'
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string_view>
#include <vector>

#include "cpu/features.hpp"
#include "kernels/gemm.hpp"
#include "kernels/matvec.hpp"
#include "kernels/table.hpp"
#include "quant/dtype.hpp"
#include "quant/repack.hpp"
#include "util/thread_pool.hpp"

namespace {

using namespace lw;
using quant::DType;
using L = cpu::Level;

// ---- machine bounds ----

constexpr size_t kReadBytes = size_t{1} << 30;  // 32x this machine's L3

std::vector<char>& read_buffer() {
  static std::vector<char> b = [] {
    std::vector<char> v(kReadBytes);
    for (size_t i = 0; i < v.size(); i += 4096) v[i] = static_cast<char>(i >> 12);
    return v;
  }();
  return b;
}

__attribute__((target("avx2"))) int64_t read_range(const char* p, size_t n) {
  __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
  for (size_t i = 0; i + 128 <= n; i += 128) {
    s0 = _mm256_add_epi64(s0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    s1 = _mm256_add_epi64(s1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    s2 = _mm256_add_epi64(s2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    s3 = _mm256_add_epi64(s3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3));
  return _mm256_extract_epi64(s, 0) + _mm256_extract_epi64(s, 1) + _mm256_extract_epi64(s, 2) +
         _mm256_extract_epi64(s, 3);
}

// Streams the whole buffer once on every pool thread (chunks of 1 MiB).
void read_all() {
  const std::vector<char>& b = read_buffer();
  constexpr int64_t kChunk = 1 << 20;
  std::atomic<int64_t> sink{0};
  ThreadPool::global().parallel_for(static_cast<int64_t>(b.size()) / kChunk, [&](int64_t c0, int64_t c1) {
    sink += read_range(b.data() + c0 * kChunk, static_cast<size_t>((c1 - c0) * kChunk));
  });
  benchmark::DoNotOptimize(sink.load());
}

// Register-only loops of one multiply instruction, 12 independent accumulators; the op count of
// one call of `iters` iterations on one thread.
constexpr int64_t kPeakIters = 1 << 20;
enum class Peak { maddubs_ymm, dpbusd_ymm, dpbusd_zmm, dpbf16_zmm, fma_ymm, fma_zmm };
constexpr const char* kPeakNames[] = {"vpmaddubsw_ymm", "vpdpbusd_ymm", "vpdpbusd_zmm",
                                      "vdpbf16ps_zmm",  "vfmadd_ymm",   "vfmadd_zmm"};
constexpr double kPeakOpsPerInstr[] = {2 * 32, 2 * 32, 2 * 64, 2 * 32, 2 * 8, 2 * 16};
constexpr L kPeakLevel[] = {L::avx2, L::avx512_vnni, L::avx512_vnni, L::avx512_bf16, L::avx2, L::avx512};

#define LW_PEAK_LOOP(T, zero, op)                                            \
  T a[12];                                                                   \
  for (int k = 0; k < 12; ++k) a[k] = zero;                                  \
  T b = a[0];                                                                \
  for (int64_t i = 0; i < kPeakIters; ++i) {                                 \
    for (int k = 0; k < 12; ++k) a[k] = op;                                  \
    __asm__ volatile("" : "+x"(b)); /* b unknown: no loop-invariant hoist */ \
  }                                                                          \
  for (int k = 1; k < 12; ++k) benchmark::DoNotOptimize(a[k]);               \
  benchmark::DoNotOptimize(a[0]);

__attribute__((target("avx2"))) void peak_maddubs_ymm() {
  LW_PEAK_LOOP(__m256i, _mm256_set1_epi8(1), _mm256_maddubs_epi16(a[k], b))
}
__attribute__((target("avx2,avx512f,avx512vl,avx512vnni"))) void peak_dpbusd_ymm() {
  LW_PEAK_LOOP(__m256i, _mm256_set1_epi8(1), _mm256_dpbusd_epi32(a[k], b, b))
}
__attribute__((target("avx512f,avx512vnni"))) void peak_dpbusd_zmm() {
  LW_PEAK_LOOP(__m512i, _mm512_set1_epi8(1), _mm512_dpbusd_epi32(a[k], b, b))
}
__attribute__((target("avx512f,avx512bf16"))) void peak_dpbf16_zmm() {
  LW_PEAK_LOOP(__m512, _mm512_set1_ps(1e-9f), _mm512_dpbf16_ps(a[k], (__m512bh)b, (__m512bh)b))
}
__attribute__((target("avx2,fma"))) void peak_fma_ymm() {
  LW_PEAK_LOOP(__m256, _mm256_set1_ps(1e-9f), _mm256_fmadd_ps(a[k], b, b))
}
__attribute__((target("avx512f"))) void peak_fma_zmm() {
  LW_PEAK_LOOP(__m512, _mm512_set1_ps(1e-9f), _mm512_fmadd_ps(a[k], b, b))
}

// Runs one peak loop on every pool thread; returns the ops done.
double run_peak(Peak p) {
  void (*fn)() = nullptr;
  switch (p) {
    case Peak::maddubs_ymm:
      fn = &peak_maddubs_ymm;
      break;
    case Peak::dpbusd_ymm:
      fn = &peak_dpbusd_ymm;
      break;
    case Peak::dpbusd_zmm:
      fn = &peak_dpbusd_zmm;
      break;
    case Peak::dpbf16_zmm:
      fn = &peak_dpbf16_zmm;
      break;
    case Peak::fma_ymm:
      fn = &peak_fma_ymm;
      break;
    case Peak::fma_zmm:
      fn = &peak_fma_zmm;
      break;
  }
  const int nt = ThreadPool::global().size();
  ThreadPool::global().parallel_for(nt, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) fn();
  });
  return 12.0 * static_cast<double>(kPeakIters) * kPeakOpsPerInstr[static_cast<int>(p)] * nt;
}

bool level_ok(L lv) {
  return static_cast<int>(lv) <= static_cast<int>(cpu::max_level());
}

// The clock of every measurement: with one thread its CPU time (what the kernels cost, steady on a
// machine other jobs share), with more the wall clock.
bool cpu_clock() {
  return ThreadPool::global().size() == 1;
}
double now_s() {
  if (!cpu_clock())
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Median of 5 timed runs of fn (which returns its work units) after one warm-up: units per second.
template <class F>
double median_rate(F fn) {
  fn();
  std::vector<double> r;
  for (int i = 0; i < 5; ++i) {
    const double t0 = now_s();
    const double units = fn();
    r.push_back(units / (now_s() - t0));
  }
  std::sort(r.begin(), r.end());
  return r[2];
}

struct Bounds {
  double read_gbs = 0;
  double peak_gops[6] = {};
};

const Bounds& bounds() {
  static const Bounds b = [] {
    Bounds x;
    x.read_gbs = median_rate([] { return read_all(), static_cast<double>(kReadBytes); }) / 1e9;
    for (int p = 0; p < 6; ++p)
      if (level_ok(kPeakLevel[p]))
        x.peak_gops[p] = median_rate([p] { return run_peak(static_cast<Peak>(p)); }) / 1e9;
    return x;
  }();
  return b;
}

void BM_MemRead(benchmark::State& st) {
  for (auto _ : st) read_all();
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * kReadBytes));
  st.counters["threads"] = ThreadPool::global().size();
}

void BM_Peak(benchmark::State& st, Peak p) {
  if (!level_ok(kPeakLevel[static_cast<int>(p)])) {
    st.SkipWithError("instruction not on this CPU");
    return;
  }
  double ops = 0;
  for (auto _ : st) ops += run_peak(p);
  st.counters["Gop/s"] = benchmark::Counter(ops / 1e9, benchmark::Counter::kIsRate);
  st.counters["threads"] = ThreadPool::global().size();
}

// ---- the decode kernels ----

constexpr int kMaxR = 64;  // activation rows: up to 16 per matrix-vector call, more in calls of 16

struct Mat {
  DType t{};
  int64_t OC = 0, IC = 0;
  std::vector<char> w;
  std::vector<float> x;  // (kMaxR, IC)
};

// One matrix at a time (the 8B shape in f16 is 117 MB): 64 random rows quantized, then repeated.
const Mat& matrix(DType t, int64_t OC, int64_t IC) {
  static Mat m;
  if (m.t == t && m.OC == OC && m.IC == IC && !m.w.empty()) return m;
  m = Mat{t, OC, IC, {}, {}};
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::vector<float> row(static_cast<size_t>(IC));
  const size_t rb = quant::dtype_bytes(t, IC);
  const DType base = quant::x16_base(t);  // repacked types: quantized as the base, then repacked
  m.w.resize(rb * static_cast<size_t>(OC));
  constexpr int64_t kDistinct = 64;
  for (int64_t r = 0; r < OC; ++r) {
    if (r < kDistinct) {
      for (auto& v : row) v = nd(rng);
      quant::traits(base).from_f32(row.data(), m.w.data() + r * rb, IC);
    } else {
      std::memcpy(m.w.data() + r * rb, m.w.data() + (r % kDistinct) * rb, rb);
    }
  }
  if (quant::is_x16(t)) {
    const std::vector<char> rows = m.w;
    quant::repack_x16(base, rows.data(), m.w.data(), OC, IC);
  }
  m.x.resize(static_cast<size_t>(kMaxR * IC));
  for (auto& v : m.x) v = nd(rng) * 50.0f;
  return m;
}

enum class Path { matvec, gemm };

// The peak a kernel's multiplies are measured against.
Peak peak_of(DType t, L lv, Path path) {
  const bool avx512 = static_cast<int>(lv) >= static_cast<int>(L::avx512);
  if (quant::traits(t).quantized) {
    if (static_cast<int>(lv) < static_cast<int>(L::avx512_vnni)) return Peak::maddubs_ymm;
    return path == Path::gemm || quant::is_x16(t) ? Peak::dpbusd_zmm : Peak::dpbusd_ymm;
  }
  if (t == DType::bf16 && lv == L::avx512_bf16) return Peak::dpbf16_zmm;
  return avx512 ? Peak::fma_zmm : Peak::fma_ymm;
}

// out (R, OC) = x (R, IC) . W^T as engine/matmul.cpp's decode does it: calls of up to 16 rows, each
// with its activations quantized once and the weight rows in blocks of 16 on the decode thread pool.
void run_matvec(const Mat& m, L lv, int R, std::vector<std::byte>& act, std::vector<float>& out) {
  for (int t0 = 0; t0 < R; t0 += kernels::kMaxMatvecRows) {
    const int nt = std::min(kernels::kMaxMatvecRows, R - t0);
    const kernels::MatvecPlan plan = kernels::matvec_plan(m.t, nt, lv);
    kernels::MatvecArgs a;
    a.n = m.IC, a.w = m.w.data(), a.w_stride = quant::dtype_bytes(m.t, m.IC), a.nt = nt;
    a.out = out.data() + t0 * m.OC, a.out_stride = m.OC;
    kernels::prepare_act(plan, m.x.data() + t0 * m.IC, nt, m.IC, act, a);
    const int64_t block = 16, nblocks = m.OC / block;
    ThreadPool::global().parallel_for(
        nblocks, [&](int64_t b0, int64_t b1) { kernels::matvec_rows(m.t, plan, a, b0 * block, b1 * block); });
  }
}

void BM_Decode(benchmark::State& st, DType t, L lv, int64_t OC, int64_t IC, int R, Path path) {
  if (!level_ok(lv)) {
    st.SkipWithError("level not on this CPU");
    return;
  }
  cpu::ScopedLevel scoped(lv);
  if (!kernels::kernels(lv).of(t).matvec[0]) {
    st.SkipWithError("no kernel for this type at this level (repacked types: avx2 on)");
    return;
  }
  const kernels::GemmFn gemm = kernels::kernels(lv).of(t).gemm;
  if (path == Path::gemm && !gemm) {
    st.SkipWithError("no GEMM for this type at this level");
    return;
  }
  const Mat& m = matrix(t, OC, IC);
  std::vector<std::byte> act;
  std::vector<float> out(static_cast<size_t>(R * OC));
  kernels::GemmArgs g;
  g.OC = OC, g.IC = IC, g.w = m.w.data(), g.w_stride = quant::dtype_bytes(t, IC), g.x = m.x.data(), g.T = R;
  g.out = out.data(), g.out_stride = OC;
  for (auto _ : st) {
    if (path == Path::matvec)
      run_matvec(m, lv, R, act, out);
    else
      gemm(g);
    benchmark::DoNotOptimize(out.data());
  }
  const double bytes = static_cast<double>(m.w.size()), ops = 2.0 * static_cast<double>(OC * IC) * R;
  st.SetBytesProcessed(static_cast<int64_t>(bytes) * st.iterations());
  st.counters["Gop/s"] = benchmark::Counter(ops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  // fractions of the bounds: per-iteration rate / bound, as rates over the measured time
  const Bounds& bd = bounds();
  const double peak = bd.peak_gops[static_cast<int>(peak_of(t, lv, path))];
  st.counters["bw_frac"] =
      benchmark::Counter(bytes / (bd.read_gbs * 1e9), benchmark::Counter::kIsIterationInvariantRate);
  if (peak > 0)
    st.counters["op_frac"] =
        benchmark::Counter(ops / (peak * 1e9), benchmark::Counter::kIsIterationInvariantRate);
}

void register_all() {
  // with one thread the rates are per CPU second of it (cpu_clock), with more per wall second
  const auto timed = [](benchmark::internal::Benchmark* b) {
    if (!cpu_clock()) b->UseRealTime();
    return b;
  };
  timed(benchmark::RegisterBenchmark("BM_MemRead", BM_MemRead))->Unit(benchmark::kMillisecond);
  for (int p = 0; p < 6; ++p)
    timed(benchmark::RegisterBenchmark(fmt::format("BM_Peak/{}", kPeakNames[p]).c_str(), BM_Peak,
                                       static_cast<Peak>(p)))
        ->Unit(benchmark::kMillisecond);
  struct Shape {
    const char* name;
    int64_t OC, IC;
  };
  for (const Shape& s : {Shape{"1b", 2048, 8192}, Shape{"1b_up", 8192, 2048}, Shape{"8b", 4096, 14336}})
    for (DType t : {DType::q4_k, DType::q4_k_x16, DType::q5_k, DType::q6_k, DType::q6_k_x16, DType::q8_0,
                    DType::q8_0_x16, DType::q4_0, DType::iq4_xs, DType::bf16, DType::f16})
      for (L lv : {L::avx2, L::avx512_bf16}) {
        for (int R : {1, 2, 4, 8, 12, 16, 24, 32, 48, 64})
          for (Path path : {Path::matvec, Path::gemm}) {
            if (path == Path::gemm && R < 8) continue;  // the GEMM's regime starts at about 8 rows
            if (R > 16 && std::string_view(s.name) != "1b") continue;  // the crossover, one shape
            timed(benchmark::RegisterBenchmark(
                      fmt::format("BM_Decode/{}/{}/{}/R:{}/{}", quant::dtype_name(t), cpu::level_name(lv),
                                  s.name, R, path == Path::matvec ? "matvec" : "gemm")
                          .c_str(),
                      BM_Decode, t, lv, s.OC, s.IC, R, path))
                ->Unit(benchmark::kMicrosecond);
          }
      }
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* n = std::getenv("LW_BENCH_THREADS")) {  // default: one per core
    ThreadPool::global().resize(std::max(1, std::atoi(n)));
    omp_set_num_threads(ThreadPool::global().size());
  }
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const Bounds& b = bounds();
  fmt::print(stderr, "bounds ({} threads): read {:.1f} GB/s", ThreadPool::global().size(), b.read_gbs);
  for (int p = 0; p < 6; ++p)
    if (b.peak_gops[p] > 0) fmt::print(stderr, ", {} {:.0f} Gop/s", kPeakNames[p], b.peak_gops[p]);
  fmt::print(stderr, "\n");
  benchmark::RunSpecifiedBenchmarks();
}
