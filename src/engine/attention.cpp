// Causal attention, tiled with an online softmax (flash-attention style): for each query tile the
// key tiles are visited once, keeping a running max m, sum l and weighted sum acc per query, so
// memory is O(tile) per thread regardless of T.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/attention_decode.hpp"
#include "engine/ops.hpp"
#include "io/cu_seqlens.hpp"
#include "kernels/table.hpp"
#include "util/error.hpp"
#include "util/thread_pool.hpp"

namespace lw::engine {

namespace {

constexpr int kBq = 32;  // queries per tile
constexpr int kBk = 64;  // keys per tile

struct Scratch {
  std::vector<float> kt;    // (hd, kBk) transposed key tile
  std::vector<float> s;     // (kBk) scores of one query
  std::vector<float> acc;   // (nh, kBq, hd)
  std::vector<float> m, l;  // (nh, kBq)
  // nh: query heads handled together (the GQA group on the vector path, else 1).
  int hd_ = -1, nh_ = -1;
  void ensure(int hd, int nh) {
    if (hd == hd_ && nh == nh_) return;
    hd_ = hd, nh_ = nh;
    kt.assign(static_cast<size_t>(hd) * kBk, 0.0f);
    acc.assign(static_cast<size_t>(nh) * kBq * hd, 0.0f);
    s.resize(kBk);
    m.resize(static_cast<size_t>(nh) * kBq);
    l.resize(static_cast<size_t>(nh) * kBq);
  }
};

// Queries r in [0, nq) of one head, at positions first_pos + r, against keys 0..first_pos + r.
// q: row r at q + r*q_stride; k, v: row j at k + j*kv_stride; out like q; lse: r*lse_stride.
// The portable kernel (the scalar level, and head dims the vector kernels do not take).
void attend_tile(const float* q, int64_t q_stride, const float* k, const float* v, int64_t kv_stride, int hd,
                 float scale, int nq, int first_pos, float* out, float* lse, int64_t lse_stride, float* kt,
                 float* s, float* acc, float* m, float* l) {
  for (int r = 0; r < nq; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.0f;
    float* a = acc + static_cast<int64_t>(r) * hd;
    for (int d = 0; d < hd; ++d) a[d] = 0.0f;
  }
  const int kend = first_pos + nq;  // keys [0, kend) are visible to the last query
  for (int j0 = 0; j0 < kend; j0 += kBk) {
    const int nb = std::min(kBk, kend - j0);
    for (int jj = 0; jj < nb; ++jj) {
      const float* kr = k + static_cast<int64_t>(j0 + jj) * kv_stride;
      for (int d = 0; d < hd; ++d) kt[d * kBk + jj] = kr[d];
    }
    // Rows before j0 - first_pos see none of this tile's keys.
    for (int r = std::max(0, j0 - first_pos); r < nq; ++r) {
      const int pos = first_pos + r;
      const int jmax = std::min(nb, pos - j0 + 1);
      const float* qr = q + static_cast<int64_t>(r) * q_stride;
      for (int jj = 0; jj < kBk; ++jj) s[jj] = 0.0f;
      for (int d = 0; d < hd; ++d) {
        const float qd = qr[d];
        const float* ktd = kt + d * kBk;
#pragma omp simd
        for (int jj = 0; jj < kBk; ++jj) s[jj] += qd * ktd[jj];
      }
      float mx = -INFINITY;
      for (int jj = 0; jj < jmax; ++jj) {
        s[jj] *= scale;
        mx = std::max(mx, s[jj]);
      }
      const float m_new = std::max(m[r], mx);
      const float corr = std::exp(m[r] - m_new);
      float sum = 0.0f;
      for (int jj = 0; jj < jmax; ++jj) {
        s[jj] = std::exp(s[jj] - m_new);
        sum += s[jj];
      }
      l[r] = l[r] * corr + sum;
      m[r] = m_new;
      float* a = acc + static_cast<int64_t>(r) * hd;
#pragma omp simd
      for (int d = 0; d < hd; ++d) a[d] *= corr;
      for (int jj = 0; jj < jmax; ++jj) {
        const float p = s[jj];
        const float* vr = v + static_cast<int64_t>(j0 + jj) * kv_stride;
#pragma omp simd
        for (int d = 0; d < hd; ++d) a[d] += p * vr[d];
      }
    }
  }
  for (int r = 0; r < nq; ++r) {
    const float inv = 1.0f / l[r];
    const float* a = acc + static_cast<int64_t>(r) * hd;
    float* o = out + static_cast<int64_t>(r) * q_stride;
    for (int d = 0; d < hd; ++d) o[d] = a[d] * inv;
    if (lse) lse[r * lse_stride] = m[r] + std::log(l[r]);
  }
}

// The vector tile kernel of the level's kernel table (kernels/table.hpp) for the nh query heads of
// a KV head; k, v point at the KV head's first element, in their storage dtype.
void attend_tile_any(DType kv_dtype, const float* q, int64_t q_stride, const void* k, const void* v,
                     int64_t kv_stride, int hd, float scale, int nq, int first_pos, float* out, float* lse,
                     int64_t lse_stride, int nh, Scratch& sc) {
  kernels::kernels().attend_tile(kv_dtype, q, q_stride, k, v, kv_stride, hd, scale, nq, first_pos, out, lse,
                                 lse_stride, nh, sc.kt.data(), sc.s.data(), sc.acc.data(), sc.m.data(),
                                 sc.l.data());
}

// A sequence's keys and values widened to f32 (for the portable tiled kernel, which reads f32).
struct Widened {
  std::vector<float> k, v;  // (Tk, kv_stride)
};

// The vector tile kernel applies where the level has one (avx2 and above) for hd a multiple of its
// lanes, <= 128.
bool use_vector_tile(int hd) {
  const kernels::KernelTable& k = kernels::kernels();
  return k.attend_tile && hd <= 128 && hd % k.vec_width == 0;
}

// One unit of work: query tile q0 of query heads head..head+nh-1 (one head, or on the vector path
// the group sharing a KV head), or (q0 < 0) decode row `row` of every query head that shares KV
// head `head`.
struct Item {
  int seq, head, q0, nh;
  int row = 0;
};

// A sequence of at most this many query rows (a decode step, a verify step of up to 15 drafted
// tokens, a short prompt chunk) takes the decode kernel row by row where the level has it: each row
// reads the cache once more, but the tile kernel transposes every key tile for a handful of rows,
// which at a depth of thousands of keys costs more than their own work. Measured (1B Q4_K_M, 2
// threads, bench_speculative): a 5-row verify step at depth 8,192 took 201 ms through the tile
// kernel and 76 ms row by row; 9 rows at depth 256 48 / 42 ms.
constexpr int kDecodeRowsMax = 16;

}  // namespace

void attention_seqs_forward(const std::vector<AttnSeq>& seqs_in, const AttnDims& d) {
  LW_CHECK(d.n_head > 0 && d.n_kv_head > 0 && d.n_head % d.n_kv_head == 0 && d.hd > 0,
           "attention: bad head dims");
  const int group = d.n_head / d.n_kv_head;
  const float scale = static_cast<float>(d.scale);
  std::vector<Item> items;
  const bool fast = use_vector_tile(d.hd);
  const bool decode_path = decode_attention_supported(d.hd);
  // Whether a sequence's rows take the decode kernel one by one (kDecodeRowsMax).
  auto rowwise = [&](const AttnSeq& a) { return decode_path && a.Tq <= kDecodeRowsMax; };
  // The vector kernels read 16-bit and quantized K/V as they are; the portable kernel gets an f32 copy.
  std::vector<AttnSeq> seqs = seqs_in;
  std::vector<Widened> widened;
  widened.reserve(seqs.size());
  for (AttnSeq& a : seqs) {
    if (a.kv_dtype == DType::f32 || fast || rowwise(a)) continue;
    LW_CHECK(a.kv_dtype == DType::f16 || a.kv_dtype == DType::bf16 || a.kv_dtype == DType::q8_0 ||
                 a.kv_dtype == DType::q4_0,
             "attention: K/V dtype {} is not supported", dtype_name(a.kv_dtype));
    Widened& w = widened.emplace_back();
    const int64_t n = a.Tk * a.kv_stride;
    w.k.resize(n);
    w.v.resize(n);
    to_f32(a.kv_dtype, a.k, w.k.data(), n);
    to_f32(a.kv_dtype, a.v, w.v.data(), n);
    a.k = w.k.data();
    a.v = w.v.data();
    a.kv_dtype = DType::f32;
  }
  int max_decode_tk = 0;
  for (int s = 0; s < static_cast<int>(seqs.size()); ++s) {
    LW_CHECK(seqs[s].Tq <= seqs[s].Tk, "attention: Tq {} > Tk {}", seqs[s].Tq, seqs[s].Tk);
    if (rowwise(seqs[s])) {
      for (int r = seqs[s].Tq - 1; r >= 0; --r)
        for (int kh = 0; kh < d.n_kv_head; ++kh) items.push_back({s, kh, -1, group, r});
      max_decode_tk = std::max(max_decode_tk, seqs[s].Tk);
      continue;
    }
    // Longest tiles (latest queries) first for better dynamic balance.
    for (int q0 = (seqs[s].Tq - 1) / kBq * kBq; q0 >= 0; q0 -= kBq) {
      if (fast)
        for (int kh = 0; kh < d.n_kv_head; ++kh) items.push_back({s, kh * group, q0, group});
      else
        for (int h = 0; h < d.n_head; ++h) items.push_back({s, h, q0, 1});
    }
  }
  const int n = static_cast<int>(items.size());
  // Threads only when there is enough work (score entries x hd) to repay a parallel region.
  double work = 0;
  bool all_decode = true;
  for (const auto& s : seqs)
    work += double(s.Tq) * s.Tk * d.n_head * d.hd, all_decode &= rowwise(s);
  auto decode_item = [&](const Item& item, std::vector<float>& scores) {
    const AttnSeq& a = seqs[item.seq];
    // Query row `row` of the sequence sits at key position Tk - Tq + row: it sees the keys up to it.
    const int64_t off = static_cast<int64_t>(item.row) * a.q_stride + static_cast<int64_t>(item.head) * group * d.hd;
    const int tk = a.Tk - a.Tq + item.row + 1;
    if (scores.size() < static_cast<size_t>(group) * max_decode_tk)
      scores.resize(static_cast<size_t>(group) * max_decode_tk);
    const size_t kv_off = dtype_bytes(a.kv_dtype, static_cast<int64_t>(item.head) * d.hd);
    float* lse = a.lse ? a.lse + static_cast<int64_t>(item.row) * a.lse_stride + item.head * group : nullptr;
    attend_decode_group(a.q + off, static_cast<const char*>(a.k) + kv_off,
                        static_cast<const char*>(a.v) + kv_off, a.kv_dtype, a.kv_stride, d.hd, group, scale, tk,
                        a.out + off, lse, scores.data());
  };
  auto tile_item = [&](const Item& item, Scratch& sc) {
    const AttnSeq& a = seqs[item.seq];
    const int nq = std::min(kBq, a.Tq - item.q0);
    const int kh = item.head / group;
    const int64_t qoff = static_cast<int64_t>(item.q0) * a.q_stride + item.head * d.hd;
    float* lse = a.lse ? a.lse + static_cast<int64_t>(item.q0) * a.lse_stride + item.head : nullptr;
    const size_t kv_off = dtype_bytes(a.kv_dtype, static_cast<int64_t>(kh) * d.hd);
    const void* k = static_cast<const char*>(a.k) + kv_off;
    const void* v = static_cast<const char*>(a.v) + kv_off;
    if (fast)
      attend_tile_any(a.kv_dtype, a.q + qoff, a.q_stride, k, v, a.kv_stride, d.hd, scale, nq,
                      a.Tk - a.Tq + item.q0, a.out + qoff, lse, a.lse_stride, item.nh, sc);
    else
      attend_tile(a.q + qoff, a.q_stride, static_cast<const float*>(k), static_cast<const float*>(v),
                  a.kv_stride, d.hd, scale, nq, a.Tk - a.Tq + item.q0, a.out + qoff, lse, a.lse_stride,
                  sc.kt.data(), sc.s.data(), sc.acc.data(), sc.m.data(), sc.l.data());
  };
  // A decode-sized step (token-by-token decoding, a verify step of drafted tokens, a few sequences'
  // short chunks) runs on the decode thread pool (util/thread_pool.hpp), as its matrix-vector
  // products do: an OpenMP region here would leave OpenMP's threads spinning through the next
  // matrix product and starve the pool's (a 5-row verify step on the 8B shape took 3.2 decode steps
  // with 2 threads, 2.5 with OpenMP's threads passive).
  int64_t total_q = 0;
  for (const auto& s : seqs) total_q += s.Tq;
  if (all_decode || total_q <= kSmallStepRows) {
    auto run = [&](int64_t i0, int64_t i1) {
      thread_local std::vector<float> scores;  // (group, Tk) of a decode item
      thread_local Scratch sc;
      for (int64_t it = i0; it < i1; ++it) {
        const Item& item = items[it];
        if (item.q0 < 0) {
          decode_item(item, scores);
          continue;
        }
        sc.ensure(d.hd, fast ? group : 1);
        tile_item(item, sc);
      }
    };
    if (n > 1 && work > 2e5)
      ThreadPool::global().parallel_for(n, run);
    else
      run(0, n);
    return;
  }
#pragma omp parallel if (n > 1 && work > 2e5)
  {
    Scratch sc;
    sc.ensure(d.hd, fast ? group : 1);
    std::vector<float> scores;  // (group, Tk) of a decode item
#pragma omp for schedule(dynamic, 1)
    for (int it = 0; it < n; ++it) {
      if (items[it].q0 < 0)
        decode_item(items[it], scores);
      else
        tile_item(items[it], sc);
    }
  }
}

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const int32_t* cu_seqlens, int n_seq, const AttnDims& d) {
  const std::string bad = io::cu_seqlens_error(std::span(cu_seqlens, static_cast<size_t>(n_seq) + 1),
                                               n_seq >= 0 ? cu_seqlens[n_seq] : 0);
  LW_CHECK(bad.empty(), "attention: {}", bad);
  const int64_t qs = static_cast<int64_t>(d.n_head) * d.hd, ks = static_cast<int64_t>(d.n_kv_head) * d.hd;
  std::vector<AttnSeq> seqs;
  for (int s = 0; s < n_seq; ++s) {
    const int b = cu_seqlens[s], e = cu_seqlens[s + 1];
    seqs.push_back({q + b * qs, k + b * ks, v + b * ks, out + b * qs,
                    lse ? lse + static_cast<int64_t>(b) * d.n_head : nullptr, e - b, e - b, qs, ks,
                    d.n_head});
  }
  attention_seqs_forward(seqs, d);
}

void attention_kv_forward(float* out, float* lse, const float* q, const float* k, const float* v, int Tq,
                          int Tk, int64_t kv_stride, const AttnDims& d) {
  const int64_t qs = static_cast<int64_t>(d.n_head) * d.hd;
  attention_seqs_forward({AttnSeq{q, k, v, out, lse, Tq, Tk, qs, kv_stride, d.n_head}}, d);
}

}  // namespace lw::engine
