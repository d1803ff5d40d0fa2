// The 16-bit KV cache (engine/kv_cache.hpp): storage and size, attention reading f16 / bf16 keys
// and values (decode, tiled and portable kernels) against the reference on the same rounded
// values, and the model-level invariants with a per-dtype bound: KV-cache decode equals a full
// recompute up to the cache's rounding, and chunked prefill equals one-shot prefill.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "engine/model.hpp"
#include "engine/ops.hpp"
#include "engine/ops_ref.hpp"
#include "engine_test_util.hpp"
#include "util/error.hpp"

using namespace lw::engine;
using namespace lw::engine::testing;

namespace {

// x rounded to dtype t and back (what the cache holds, seen as f32).
std::vector<float> rounded(DType t, const std::vector<float>& x) {
  std::vector<uint16_t> h(x.size());
  from_f32(t, x.data(), h.data(), static_cast<int64_t>(x.size()));
  std::vector<float> back(x.size());
  to_f32(t, h.data(), back.data(), static_cast<int64_t>(x.size()));
  return back;
}

std::vector<uint16_t> narrow(DType t, const std::vector<float>& x) {
  std::vector<uint16_t> h(x.size());
  from_f32(t, x.data(), h.data(), static_cast<int64_t>(x.size()));
  return h;
}

std::vector<float> run_alone(const Model& m, const std::vector<int32_t>& ids) {
  Workspace ws;
  std::vector<float> logits;
  forward(m, Batch::single(ids, 0, /*all_logits=*/true), nullptr, ws, logits);
  return logits;
}

}  // namespace

TEST(KvCache, StoresRoundedRowsAndReportsItsSize) {
  const ModelConfig c = tiny_llama();  // kv_dim 32
  for (DType t : {DType::f32, DType::f16, DType::bf16}) {
    KvCache cache(c, 2, 16, t);
    EXPECT_EQ(cache.dtype(), t);
    EXPECT_EQ(cache.bytes(), 2u * c.n_layer * 2 * 16 * c.kv_dim() * dtype_bytes(t, 1));
    auto k = randn(3 * 32, 1), v = randn(3 * 32, 2);
    cache.store(1, 1, 5, k.data(), v.data(), 3);
    EXPECT_EQ(cache.length(1), 0);  // store() does not advance the length
    std::vector<float> got(3 * 32);
    const char* base = static_cast<const char*>(cache.v(1, 1)) + dtype_bytes(t, 5 * 32);
    to_f32(t, base, got.data(), 3 * 32);
    EXPECT_EQ(got, t == DType::f32 ? v : rounded(t, v)) << dtype_name(t);
  }
  EXPECT_THROW(KvCache(c, 1, 16, DType::q8_0), lw::InputError);
  EXPECT_EQ(parse_kv_dtype("bf16"), DType::bf16);
  try {
    parse_kv_dtype("int8");
    FAIL() << "expected an error";
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected f32, f16 or bf16"), std::string::npos) << e.what();
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

// Decode (Tq = 1: the AVX-512 decode kernel for hd 32/64/128), a chunk (Tq = 5: the tiled kernel)
// and hd 20 (the portable kernel on widened copies), each reading 16-bit K/V in a cache-like
// layout, equal the reference run on the same rounded values.
TEST(KvCache, AttentionReads16BitKeysAndValues) {
  for (DType t : {DType::f16, DType::bf16})
    for (int hd : {20, 32, 64, 128})
      for (int Tq : {1, 5}) {
        AttnDims d{6, 2, hd, 1.0f / std::sqrt(static_cast<float>(hd))};
        const int Tk = 77, qs = d.n_head * hd, ks = d.n_kv_head * hd;
        auto q = randn(static_cast<size_t>(Tk) * qs, 3), k = randn(static_cast<size_t>(Tk) * ks, 4),
             v = randn(static_cast<size_t>(Tk) * ks, 5);
        auto kr = rounded(t, k), vr = rounded(t, v);
        std::vector<int32_t> cu = {0, Tk};
        std::vector<float> want(q.size());
        ref::attention_forward(want.data(), q.data(), kr.data(), vr.data(), cu.data(), 1, d);
        auto k16 = narrow(t, k), v16 = narrow(t, v);
        std::vector<float> got(static_cast<size_t>(Tq) * qs);
        const size_t q0 = static_cast<size_t>(Tk - Tq) * qs;
        attention_seqs_forward({AttnSeq{q.data() + q0, k16.data(), v16.data(), got.data(), nullptr, Tq, Tk, qs, ks,
                                        0, t}},
                               d);
        EXPECT_LT(rel_err(got.data(), want.data() + q0, got.size()), 1e-5)
            << dtype_name(t) << " hd " << hd << " Tq " << Tq;
      }
}

class KvCacheModelTest : public ::testing::TestWithParam<std::tuple<bool, DType>> {
 protected:
  ModelConfig cfg() const { return std::get<0>(GetParam()) ? tiny_glm4() : tiny_llama(); }
  DType kv() const { return std::get<1>(GetParam()); }
};

// Full recompute keeps keys and values in f32; the cache rounds them once. The bound is a few
// times the rounding of the dtype (f16: 2^-11, bf16: 2^-8 relative); measured errors are printed.
TEST_P(KvCacheModelTest, DecodeEqualsFullRecomputeUpToTheCacheRounding) {
  auto m = make_random_model(cfg(), 2, DType::f32, 0.1f);
  const int V = m->config().V;
  auto ids = rand_ids(60, V, 5);
  auto full = run_alone(*m, ids);
  KvCache cache(m->config(), 1, 64, kv());
  Workspace ws;
  std::vector<float> logits;
  forward(*m, Batch::single(std::span(ids).subspan(0, 20)), &cache, ws, logits);
  double worst = 0;
  for (int t = 20; t < 60; ++t) {
    int slot = 0;
    forward(*m, Batch::decode(std::span(ids).subspan(t, 1), std::span<const int>(&slot, 1)), &cache, ws, logits);
    worst = std::max(worst, rel_err(logits.data(), full.data() + t * V, V));
  }
  const double bound = kv() == DType::f16 ? 2e-3 : 1.5e-2;
  EXPECT_LT(worst, bound);
  EXPECT_GT(worst, 1e-7);  // the cache really rounds
  std::printf("  kv %s: worst relative logit error over 40 decode steps %.2e (bound %.1e)\n",
              dtype_name(kv()).c_str(), worst, bound);
  EXPECT_EQ(cache.bytes(), 2u * 2 * 64 * m->config().kv_dim() * 2);  // half of f32
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
  const double bound = kv() == DType::f16 ? 5e-4 : 4e-3;
  EXPECT_LT(rel_err(chunked, once), bound);
  int slot = 0;
  const int32_t next = 7;
  forward(*m, Batch::decode(std::span(&next, 1), std::span<const int>(&slot, 1)), &a, ws, once);
  forward(*m, Batch::decode(std::span(&next, 1), std::span<const int>(&slot, 1)), &b, ws, chunked);
  EXPECT_LT(rel_err(chunked, once), bound);
}

INSTANTIATE_TEST_SUITE_P(Kv, KvCacheModelTest,
                         ::testing::Combine(::testing::Values(false, true), ::testing::Values(DType::f16, DType::bf16)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "glm4_" : "llama_") +
                                  dtype_name(std::get<1>(info.param));
                         });
