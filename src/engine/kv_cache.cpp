#include "engine/kv_cache.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "util/error.hpp"

namespace lw::engine {

namespace {
constexpr const char* kKvTypes = "f32, f16, bf16, q8_0 or q4_0";
}

KvCache::KvCache(const ModelConfig& cfg, int n_slots, int max_ctx, DType dtype)
    : n_layer_(cfg.n_layer),
      n_slots_(n_slots),
      max_ctx_(max_ctx),
      kv_dim_(cfg.kv_dim()),
      dtype_(dtype),
      row_bytes_(0),
      len_(static_cast<size_t>(std::max(n_slots, 0)), 0),
      high_(len_.size(), 0) {
  if (n_slots <= 0 || max_ctx <= 0) fail_input("KV cache needs n_slots > 0 and max_ctx > 0");
  const bool quantized = dtype == DType::q8_0 || dtype == DType::q4_0;
  if (dtype != DType::f32 && dtype != DType::f16 && dtype != DType::bf16 && !quantized)
    fail_input("KV cache dtype must be {}, got {}", kKvTypes, dtype_name(dtype));
  if (quantized && cfg.hd % 32 != 0)
    fail_input("KV cache dtype {} needs a head dim that is a multiple of 32, the model's is {}; use f16",
               dtype_name(dtype), cfg.hd);
  row_bytes_ = dtype_bytes(dtype, kv_dim_);
  const size_t bytes = this->bytes() / 2;  // each of k and v
  auto map = [&]() {
    void* p =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) fail("cannot reserve {} MB for the KV cache", bytes >> 20);
    return std::shared_ptr<char>(static_cast<char*>(p), [bytes](char* q) { ::munmap(q, bytes); });
  };
  k_ = map();
  v_ = map();
}

size_t KvCache::bytes() const {
  return 2 * static_cast<size_t>(n_layer_) * n_slots_ * max_ctx_ * row_bytes_;
}

void KvCache::set_length(int slot, int len) {
  LW_CHECK(slot >= 0 && slot < n_slots_, "KV cache slot {} out of range", slot);
  LW_CHECK(len >= 0 && len <= max_ctx_, "KV cache length {} out of range", len);
  len_[slot] = len;
  high_[slot] = std::max(high_[slot], len);
}

int64_t KvCache::cells_written() const {
  int64_t n = 0;
  for (int h : high_) n += h;
  return n;
}

char* KvCache::row(char* base, int layer, int slot, int pos) const {
  return base + ((static_cast<size_t>(layer) * n_slots_ + slot) * max_ctx_ + pos) * row_bytes_;
}

void KvCache::store(int layer, int slot, int pos, const float* k, const float* v, int n) {
  LW_CHECK(layer >= 0 && layer < n_layer_ && slot >= 0 && slot < n_slots_ && pos >= 0 && n >= 0 &&
               pos + n <= max_ctx_,
           "KV cache store out of range: layer {} slot {} rows [{}, {})", layer, slot, pos, pos + n);
  const int64_t count = static_cast<int64_t>(n) * kv_dim_;
  from_f32(dtype_, k, row(k_.get(), layer, slot, pos), count);
  from_f32(dtype_, v, row(v_.get(), layer, slot, pos), count);
}

void KvCache::copy_prefix(int src, int dst, int n) {
  LW_CHECK(src >= 0 && src < n_slots_ && dst >= 0 && dst < n_slots_ && src != dst,
           "KV cache copy between slots {} and {} out of range", src, dst);
  LW_CHECK(n >= 0 && n <= len_[src], "KV cache copy of {} rows from slot {} holding {}", n, src, len_[src]);
  const size_t bytes = static_cast<size_t>(n) * row_bytes_;
  for (int layer = 0; layer < n_layer_; ++layer) {
    std::memcpy(row(k_.get(), layer, dst, 0), row(k_.get(), layer, src, 0), bytes);
    std::memcpy(row(v_.get(), layer, dst, 0), row(v_.get(), layer, src, 0), bytes);
  }
  len_[dst] = n;
  high_[dst] = std::max(high_[dst], n);
}

DType parse_kv_dtype(const std::string& name) {
  if (name == "f32") return DType::f32;
  if (name == "f16") return DType::f16;
  if (name == "bf16") return DType::bf16;
  if (name == "q8_0") return DType::q8_0;
  if (name == "q4_0") return DType::q4_0;
  fail_input("KV cache type '{}': expected {}", name, kKvTypes);
}

}  // namespace lw::engine
