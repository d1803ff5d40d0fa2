#pragma once
// Preallocated key/value cache: n_slots sequences of up to max_ctx tokens each, stored in f32, f16,
// bf16, q8_0 or q4_0. A 16-bit cache halves the bytes a decode step reads at long context (what
// bounds decode there) at the cost of rounding each cached key and value once; kernels widen to f32
// in registers. q8_0 (34 bytes per 32 values, 0.53x f16) and q4_0 (18 bytes, 0.28x f16) quantize
// each head's row in GGML's 32-element blocks with an f16 scale (quant/blocks.hpp), so every row is
// self-contained: appending, copying a prefix and truncating work on whole rows as for the others.
// The quantized types need hd % 32 == 0. Quality and speed: docs/engine.md, "Quantized KV cache".
//
//   engine::KvCache cache(m->config(), /*n_slots=*/4, /*max_ctx=*/4096, engine::DType::f16);
//   cache.store(layer, slot, /*pos=*/cache.length(slot), k_rows, v_rows, n);  // done by forward()
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/config.hpp"
#include "engine/tensor.hpp"

namespace lw::engine {

// Layout per layer: k, v (n_slots, max_ctx, kv_dim) in dtype(). Pages are committed lazily by the
// OS, so reserving a long context costs address space, not memory, until it is used.
class KvCache {
 public:
  // dtype: f32, f16, bf16, q8_0 or q4_0 (InputError otherwise, or for a quantized type with
  // hd % 32 != 0).
  KvCache(const ModelConfig& cfg, int n_slots, int max_ctx, DType dtype = DType::f32);
  int n_slots() const { return n_slots_; }
  int max_ctx() const { return max_ctx_; }
  DType dtype() const { return dtype_; }
  int length(int slot) const { return len_.at(slot); }
  void set_length(int slot, int len);  // truncate (e.g. rewind); len <= length(slot)
  void clear(int slot) { set_length(slot, 0); }
  size_t bytes() const;  // total reserved bytes
  // Rows ever held, summed over the slots (each slot's longest length so far, rows written by a
  // rejected draft included). The OS commits pages as they are first written, so the memory the
  // cache really takes is about this times the bytes per token (2 * n_layer * row_bytes()).
  int64_t cells_written() const;
  int kv_dim() const { return kv_dim_; }
  size_t row_bytes() const { return row_bytes_; }  // bytes of one cached row of kv_dim elements
  // (max_ctx, kv_dim) rows of one layer and slot, elements of dtype() (row j at +j*row_bytes()).
  const void* k(int layer, int slot) const { return row(k_.get(), layer, slot, 0); }
  const void* v(int layer, int slot) const { return row(v_.get(), layer, slot, 0); }
  // Writes k, v (n, kv_dim) f32 to rows [pos, pos + n) of a layer and slot, rounded to dtype().
  // Does not change length() (forward() advances it once all layers are written).
  void store(int layer, int slot, int pos, const float* k, const float* v, int n);
  // Copies rows [0, n) of every layer from slot src to slot dst and sets length(dst) to n: one
  // prompt prefilled once serves several sequences (OpenAI's n). n <= length(src); src != dst.
  void copy_prefix(int src, int dst, int n);

 private:
  char* row(char* base, int layer, int slot, int pos) const;
  int n_layer_, n_slots_, max_ctx_, kv_dim_;
  DType dtype_;
  size_t row_bytes_;  // bytes per row of kv_dim elements
  std::shared_ptr<char> k_, v_;
  std::vector<int> len_;
  std::vector<int> high_;  // each slot's longest length so far
};

// "f32", "f16", "bf16", "q8_0", "q4_0" -> DType; InputError naming the accepted names otherwise.
DType parse_kv_dtype(const std::string& name);

}  // namespace lw::engine
