// The 16-bit and quantized KV cache (engine/kv_cache.hpp): storage and size, attention reading
// f16 / bf16 / q8_0 / q4_0 keys and values (decode, tiled and portable kernels, every CPU level)
// against the reference on the same rounded values, and the model-level invariants with a per-dtype
// bound: KV-cache decode equals a full recompute up to the cache's rounding, decode equals a
// recompute through a cache of the same type, and chunked prefill equals one-shot prefill.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "cpu/features.hpp"
#include "engine/model.hpp"
#include "engine/ops.hpp"
#include "engine/ops_ref.hpp"
#include "engine_test_util.hpp"
#include "util/error.hpp"

using namespace lw::engine;
using namespace lw::engine::testing;

namespace {

// x in dtype t (x.size() a multiple of t's block): what the cache holds.
std::vector<char> narrow(DType t, const std::vector<float>& x) {
  std::vector<char> h(dtype_bytes(t, static_cast<int64_t>(x.size())));
  from_f32(t, x.data(), h.data(), static_cast<int64_t>(x.size()));
  return h;
}

// x rounded to dtype t and back (what the cache holds, seen as f32).
std::vector<float> rounded(DType t, const std::vector<float>& x) {
  const std::vector<char> h = narrow(t, x);
  std::vector<float> back(x.size());
  to_f32(t, h.data(), back.data(), static_cast<int64_t>(x.size()));
  return back;
}

// tiny_llama / tiny_glm4 with hd 32: the quantized cache types need whole blocks of 32 per head.
ModelConfig with_hd32(ModelConfig c) {
  c.hd = 32;
  return c;
}

bool quantized(DType t) {
  return t == DType::q8_0 || t == DType::q4_0;
}

std::vector<float> run_alone(const Model& m, const std::vector<int32_t>& ids) {
  Workspace ws;
  std::vector<float> logits;
  forward(m, Batch::single(ids, 0, /*all_logits=*/true), nullptr, ws, logits);
  return logits;
}

// Prefills ids[0, n0) into a fresh cache of type kv, decodes the rest one token at a time and
// returns the worst relative error of each step's logits against full (all positions' logits).
double worst_decode_error(const Model& m, const std::vector<int32_t>& ids, int n0,
                          const std::vector<float>& full, DType kv) {
  const int V = m.config().V, T = static_cast<int>(ids.size());
  KvCache cache(m.config(), 1, 64, kv);
  Workspace ws;
  std::vector<float> logits;
  forward(m, Batch::single(std::span(ids).subspan(0, n0)), &cache, ws, logits);
  double worst = 0;
  for (int t = n0; t < T; ++t) {
    int slot = 0;
    forward(m, Batch::decode(std::span(ids).subspan(t, 1), std::span<const int>(&slot, 1)), &cache, ws,
            logits);
    worst = std::max(worst, rel_err(logits.data(), full.data() + t * V, V));
  }
  return worst;
}

}  // namespace

TEST(KvCache, StoresRoundedRowsAndReportsItsSize) {
  const ModelConfig c = with_hd32(tiny_llama());  // kv_dim 64: two blocks of 32 per row
  const int kv = c.kv_dim();
  for (DType t : {DType::f32, DType::f16, DType::bf16, DType::q8_0, DType::q4_0}) {
    KvCache cache(c, 2, 16, t);
    EXPECT_EQ(cache.dtype(), t);
    EXPECT_EQ(cache.row_bytes(), dtype_bytes(t, kv));
    EXPECT_EQ(cache.bytes(), 2u * c.n_layer * 2 * 16 * dtype_bytes(t, kv));
    auto k = randn(3 * kv, 1), v = randn(3 * kv, 2);
    cache.store(1, 1, 5, k.data(), v.data(), 3);
    EXPECT_EQ(cache.length(1), 0);  // store() does not advance the length
    std::vector<float> got(3 * kv);
    const char* base = static_cast<const char*>(cache.v(1, 1)) + 5 * cache.row_bytes();
    to_f32(t, base, got.data(), 3 * kv);
    EXPECT_EQ(got, t == DType::f32 ? v : rounded(t, v)) << dtype_name(t);
  }
  // q8_0: 34 bytes per 32 values (17/32 of f16), q4_0: 18 bytes.
  EXPECT_EQ(KvCache(c, 1, 16, DType::q8_0).bytes() * 32, KvCache(c, 1, 16, DType::f16).bytes() * 17);
  EXPECT_EQ(KvCache(c, 1, 16, DType::q4_0).bytes() * 32, KvCache(c, 1, 16, DType::f16).bytes() * 9);
  EXPECT_THROW(KvCache(c, 1, 16, DType::q4_k), lw::InputError);
  try {  // hd 16: not whole blocks
    KvCache(tiny_llama(), 1, 16, DType::q8_0);
    FAIL() << "expected an error";
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of 32"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_kv_dtype("bf16"), DType::bf16);
  EXPECT_EQ(parse_kv_dtype("q8_0"), DType::q8_0);
  EXPECT_EQ(parse_kv_dtype("q4_0"), DType::q4_0);
  for (const char* bad : {"int8", "q4_k", "Q8_0"}) {
    try {
      parse_kv_dtype(bad);
      FAIL() << "expected an error for " << bad;
    } catch (const lw::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("expected f32, f16, bf16, q8_0 or q4_0"), std::string::npos)
          << e.what();
    }
  }
}

// Quantized rows are self-contained (blocks of 32 within a head's row): copying a prefix to
// another slot and truncating (rewind) then appending give the same bytes as storing there.
TEST(KvCache, QuantizedRowsCopyAndRewindLikeAnyOther) {
  const ModelConfig c = with_hd32(tiny_llama());
  const int kv = c.kv_dim();
  for (DType t : {DType::q8_0, DType::q4_0}) {
    KvCache cache(c, 2, 8, t);
    auto k = randn(6 * kv, 30), v = randn(6 * kv, 31);
    for (int layer = 0; layer < c.n_layer; ++layer) cache.store(layer, 0, 0, k.data(), v.data(), 6);
    cache.set_length(0, 6);
    cache.copy_prefix(0, 1, 4);
    const std::vector<char> want_k = narrow(t, k), want_v = narrow(t, v);
    for (int layer = 0; layer < c.n_layer; ++layer) {
      EXPECT_EQ(std::memcmp(cache.k(layer, 1), want_k.data(), 4 * cache.row_bytes()), 0) << dtype_name(t);
      EXPECT_EQ(std::memcmp(cache.v(layer, 1), want_v.data(), 4 * cache.row_bytes()), 0) << dtype_name(t);
    }
    cache.set_length(0, 2);  // rewind, then overwrite rows 2.. with other values
    auto k2 = randn(2 * kv, 32);
    for (int layer = 0; layer < c.n_layer; ++layer) cache.store(layer, 0, 2, k2.data(), k2.data(), 2);
    const std::vector<char> want_k2 = narrow(t, k2);
    const char* row2 = static_cast<const char*>(cache.k(1, 0)) + 2 * cache.row_bytes();
    EXPECT_EQ(std::memcmp(row2, want_k2.data(), 2 * cache.row_bytes()), 0) << dtype_name(t);
    EXPECT_EQ(std::memcmp(cache.k(1, 0), want_k.data(), 2 * cache.row_bytes()), 0) << dtype_name(t);
  }
}

// copy_prefix: rows [0, n) of every layer, keys and values, land in the other slot, whose length
// becomes n; the source slot and a third slot are untouched; copying more than the source holds is
// refused.
TEST(KvCache, CopyPrefixCopiesEveryLayersRowsToAnotherSlot) {
  const ModelConfig c = tiny_llama();  // kv_dim 32
  const int kv = c.kv_dim();
  KvCache cache(c, 3, 8, DType::f16);
  for (int layer = 0; layer < c.n_layer; ++layer) {
    auto k = randn(5 * kv, 10 + layer), v = randn(5 * kv, 20 + layer);
    cache.store(layer, 0, 0, k.data(), v.data(), 5);
  }
  cache.set_length(0, 5);
  cache.copy_prefix(0, 2, 4);
  EXPECT_EQ(cache.length(2), 4);
  EXPECT_EQ(cache.length(0), 5);
  EXPECT_EQ(cache.length(1), 0);
  const size_t row_bytes = dtype_bytes(DType::f16, kv);
  for (int layer = 0; layer < c.n_layer; ++layer) {
    EXPECT_EQ(std::memcmp(cache.k(layer, 0), cache.k(layer, 2), 4 * row_bytes), 0) << layer;
    EXPECT_EQ(std::memcmp(cache.v(layer, 0), cache.v(layer, 2), 4 * row_bytes), 0) << layer;
    EXPECT_NE(std::memcmp(cache.k(layer, 0), cache.k(layer, 1), row_bytes), 0) << layer;  // slot 1 untouched
  }
  EXPECT_THROW(cache.copy_prefix(0, 1, 6), std::exception);
  EXPECT_THROW(cache.copy_prefix(1, 1, 0), std::exception);
}

// cells_written: each slot's longest length so far, summed; rewinding (a rejected draft) and
// clearing keep it, copy_prefix raises the target's.
TEST(KvCache, CellsWrittenIsEachSlotsLongestLengthSummed) {
  const ModelConfig c = tiny_llama();
  KvCache cache(c, 3, 16, DType::f16);
  EXPECT_EQ(cache.cells_written(), 0);
  cache.set_length(0, 9);
  cache.set_length(0, 4);  // rewind
  EXPECT_EQ(cache.cells_written(), 9);
  cache.copy_prefix(0, 1, 3);
  EXPECT_EQ(cache.cells_written(), 12);
  cache.clear(0);
  cache.set_length(0, 7);  // below the slot's 9
  cache.set_length(2, 16);
  EXPECT_EQ(cache.cells_written(), 9 + 3 + 16);
}

namespace {

// Attention of the last Tq of Tk = 77 positions (n_head heads, 2 KV heads of hd) reading K/V stored
// as dtype t in a cache-like layout, against the reference run on the same rounded values: their
// relative error.
double attention_error_vs_reference(DType t, int n_head, int hd, int Tq) {
  AttnDims d{n_head, 2, hd, 1.0f / std::sqrt(static_cast<float>(hd))};
  const int Tk = 77, qs = d.n_head * hd, ks = d.n_kv_head * hd;
  auto q = randn(static_cast<size_t>(Tk) * qs, 3), k = randn(static_cast<size_t>(Tk) * ks, 4),
       v = randn(static_cast<size_t>(Tk) * ks, 5);
  auto kr = rounded(t, k), vr = rounded(t, v);
  std::vector<int32_t> cu = {0, Tk};
  std::vector<float> want(q.size());
  ref::attention_forward(want.data(), q.data(), kr.data(), vr.data(), cu.data(), 1, d);
  auto kt = narrow(t, k), vt = narrow(t, v);
  std::vector<float> got(static_cast<size_t>(Tq) * qs);
  const size_t q0 = static_cast<size_t>(Tk - Tq) * qs;
  attention_seqs_forward(
      {AttnSeq{q.data() + q0, kt.data(), vt.data(), got.data(), nullptr, Tq, Tk, qs, ks, 0, t}}, d);
  return rel_err(got.data(), want.data() + q0, got.size());
}

}  // namespace

// Decode (Tq = 1: the AVX-512 decode kernel for hd 32/64/128), a chunk (Tq = 5: the tiled kernel)
// and hd 20 (the portable kernel on widened copies), each reading 16-bit K/V in a cache-like
// layout, equal the reference run on the same rounded values.
TEST(KvCache, AttentionReads16BitKeysAndValues) {
  for (DType t : {DType::f16, DType::bf16})
    for (int hd : {20, 32, 64, 128})
      for (int Tq : {1, 5})
        EXPECT_LT(attention_error_vs_reference(t, 6, hd, Tq), 1e-5)
            << dtype_name(t) << " hd " << hd << " Tq " << Tq;
}

// The quantized types (the decode kernel for Tq = 1, the tile kernel for chunks of one and several
// key tiles; at the scalar level the portable kernel on widened copies) equal the reference
// attention run on the dequantized values, up to float rounding. ctest runs this program once per
// CPU level (lw_add_test LEVELS: scalar, avx2, avx512, avx512_vnni), so every level's kernels meet it.
TEST(KvCache, AttentionReadsQuantizedKeysAndValues) {
  for (DType t : {DType::q8_0, DType::q4_0})
    for (int hd : {32, 64, 128})
      for (int Tq : {1, 5, 70})
        EXPECT_LT(attention_error_vs_reference(t, 8, hd, Tq), 1e-5)
            << lw::cpu::level_name(lw::cpu::level()) << " " << dtype_name(t) << " hd " << hd << " Tq " << Tq;
}

class KvCacheModelTest : public ::testing::TestWithParam<std::tuple<bool, DType>> {
 protected:
  ModelConfig cfg() const {
    const ModelConfig c = std::get<0>(GetParam()) ? tiny_glm4() : tiny_llama();
    return quantized(kv()) ? with_hd32(c) : c;
  }
  DType kv() const { return std::get<1>(GetParam()); }
};

// Full recompute keeps keys and values in f32; the cache rounds them once. The bound is a few
// times the rounding of the dtype (f16: 2^-11, bf16: 2^-8 relative, q8_0: 2^-8 of a block's
// largest value, q4_0: 2^-4); measured errors are printed.
TEST_P(KvCacheModelTest, DecodeEqualsFullRecomputeUpToTheCacheRounding) {
  auto m = make_random_model(cfg(), 2, DType::f32, 0.1f);
  auto ids = rand_ids(60, m->config().V, 5);
  const double worst = worst_decode_error(*m, ids, 20, run_alone(*m, ids), kv());
  const double bound = kv() == DType::f16 ? 2e-3 : kv() == DType::q4_0 ? 3e-1 : 1.5e-2;
  EXPECT_LT(worst, bound);
  EXPECT_GT(worst, 1e-7);  // the cache really rounds
  std::printf("  kv %s: worst relative logit error over 40 decode steps %.2e (bound %.1e)\n",
              dtype_name(kv()).c_str(), worst, bound);
  EXPECT_EQ(KvCache(m->config(), 1, 64, kv()).bytes(), 2u * 2 * 64 * dtype_bytes(kv(), m->config().kv_dim()));
}

// The oracle with the cache's own rounding on both sides: decoding token by token through a cache
// equals recomputing every position in one prefill through a fresh cache of the same type (which
// also reads rounded keys and values). Only the summation order differs, which can move a key
// across a rounding boundary: the bound is a small fraction of the one against f32 above.
TEST_P(KvCacheModelTest, DecodeEqualsRecomputeThroughACacheOfTheSameType) {
  auto m = make_random_model(cfg(), 4, DType::f32, 0.1f);
  auto ids = rand_ids(48, m->config().V, 7);
  Workspace ws;
  std::vector<float> full;
  KvCache whole(m->config(), 1, 64, kv());
  forward(*m, Batch::single(ids, 0, /*all_logits=*/true), &whole, ws, full);
  const double worst = worst_decode_error(*m, ids, 16, full, kv());
  const double bound = kv() == DType::f16 ? 5e-4 : kv() == DType::q4_0 ? 3e-2 : 4e-3;
  EXPECT_LT(worst, bound);
  std::printf("  kv %s: worst relative logit error, decode vs recompute through the cache, %.2e\n",
              dtype_name(kv()).c_str(), worst);
}

// The cache rounds every key and value before attention reads them, prefill included, so how a
// prompt is split into chunks (the server prefills in chunks, reading earlier chunks back from the
// cache) changes only the summation order, which can flip the last bit of a rounded key: the two
// agree to a fraction of the decode bound above.
TEST_P(KvCacheModelTest, ChunkedPrefillAgreesWithOneShotPrefill) {
  auto m = make_random_model(cfg(), 3, DType::bf16, 0.1f);
  auto ids = rand_ids(50, m->config().V, 6);
  Workspace ws;
  std::vector<float> once, chunked;
  KvCache a(m->config(), 1, 64, kv()), b(m->config(), 1, 64, kv());
  forward(*m, Batch::single(ids), &a, ws, once);
  for (int t0 = 0; t0 < 50; t0 += 16) {
    const int n = std::min(16, 50 - t0);
    forward(*m, Batch::single(std::span(ids).subspan(t0, n)), &b, ws, chunked);
  }
  const double bound = kv() == DType::f16 ? 5e-4 : kv() == DType::q4_0 ? 3e-2 : 4e-3;
  EXPECT_LT(rel_err(chunked, once), bound);
  int slot = 0;
  const int32_t next = 7;
  forward(*m, Batch::decode(std::span(&next, 1), std::span<const int>(&slot, 1)), &a, ws, once);
  forward(*m, Batch::decode(std::span(&next, 1), std::span<const int>(&slot, 1)), &b, ws, chunked);
  EXPECT_LT(rel_err(chunked, once), bound);
}

INSTANTIATE_TEST_SUITE_P(Kv, KvCacheModelTest,
                         ::testing::Combine(::testing::Values(false, true),
                                            ::testing::Values(DType::f16, DType::bf16, DType::q8_0,
                                                              DType::q4_0)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "glm4_" : "llama_") +
                                  dtype_name(std::get<1>(info.param));
                         });
