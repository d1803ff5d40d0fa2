#pragma once
// A streaming GGUF v3 writer (the file format of llama.cpp / ggml) for model files: metadata
// key-value pairs of every GGUF type (scalars, strings, arrays) and tensors of any storage type of
// the GGML type table (io/gguf.hpp: f32, f16, bf16 and the GGML block formats), each tensor's data aligned to
// `general.alignment` (default 32). Tensor data is pulled from producers while the file is written, so
// converting a large model never holds a second copy in memory. The file is written atomically (temp file +
// rename); to_bytes() gives the image in memory (tests, fuzzing). `longwriter convert`, lw_make_model and the
// tests all write with it.
//
// Layout written (all little-endian):
//   "GGUF" u32 version=3, u64 n_tensors, u64 n_kv,
//   n_kv × { string key, u32 value_type, value },
//   n_tensors × { string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset },
//   zero padding to the alignment, then the tensor data (each tensor padded to the alignment).
// A string is u64 length + bytes (no terminator); an array is u32 elem_type, u64 count, elements.
//
// Shapes are given row-major, outermost dimension first (as in safetensors and numpy); GGUF stores
// them reversed (ne[0] is the innermost, contiguous dimension), so an HF weight of shape
// (rows, cols) is written with ne = {cols, rows}.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/gguf.hpp"

namespace lw::io {

class GgufStreamWriter {
 public:
  // GGUF metadata value types (the numbers are the format's).
  enum class ValueType : uint32_t {
    u8 = 0,
    i8 = 1,
    u16 = 2,
    i16 = 3,
    u32 = 4,
    i32 = 5,
    f32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    u64 = 10,
    i64 = 11,
    f64 = 12,
  };
  // Tensor storage types (written as their GGUF type ids; quantized types are blocked along the
  // innermost dimension, which must be a multiple of the block size).
  using TensorType = GgmlType;

  // Writes `nbytes` bytes of one tensor's data by calling sink(piece) any number of times.
  using Sink = std::function<void(std::string_view piece)>;
  using Producer = std::function<void(const Sink& sink)>;

  explicit GgufStreamWriter(uint32_t alignment = 32);

  // Metadata. Keys keep their first insertion order; setting a key again replaces its value.
  void set_u8(const std::string& key, uint8_t v);
  void set_i8(const std::string& key, int8_t v);
  void set_u16(const std::string& key, uint16_t v);
  void set_i16(const std::string& key, int16_t v);
  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_u64(const std::string& key, uint64_t v);
  void set_i64(const std::string& key, int64_t v);
  void set_f32(const std::string& key, float v);
  void set_f64(const std::string& key, double v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, std::string_view v);
  void set_array_u8(const std::string& key, std::span<const uint8_t> v);
  void set_array_i32(const std::string& key, std::span<const int32_t> v);
  void set_array_u32(const std::string& key, std::span<const uint32_t> v);
  void set_array_i64(const std::string& key, std::span<const int64_t> v);
  void set_array_u64(const std::string& key, std::span<const uint64_t> v);
  void set_array_f32(const std::string& key, std::span<const float> v);
  void set_array_f64(const std::string& key, std::span<const double> v);
  void set_array_bool(const std::string& key, std::span<const bool> v);
  void set_array_string(const std::string& key, std::span<const std::string> v);
  // Any value read from a GGUF file (io/gguf.hpp), with its type; arrays of arrays are refused
  // (returns false).
  bool set(const std::string& key, const GgufValue& v);
  bool has_key(const std::string& key) const;

  // Tensors, written in the order added. `data` must hold exactly the tensor's bytes and stay
  // alive until write(); a producer is called once during write() and must emit exactly the
  // tensor's byte size (its element count in blocks of its GGML type; checked). Throws InputError on a
  // duplicate name or a bad shape.
  void add_tensor(const std::string& name, TensorType type, std::vector<int64_t> shape,
                  std::span<const std::byte> data);
  void add_tensor(const std::string& name, TensorType type, std::vector<int64_t> shape, Producer producer);
  // A small tensor whose bytes the writer keeps (tests, rope_freqs).
  void add_tensor_owned(const std::string& name, TensorType type, std::vector<int64_t> shape,
                        std::string bytes);
  size_t tensor_count() const { return tensors_.size(); }

  // Writes the file atomically. Can be called more than once.
  void write(const std::filesystem::path& path) const;
  // The whole file as bytes (for tests and small files).
  std::string to_bytes() const;

 private:
  struct Kv {
    std::string key;
    std::string encoded;  // u32 type + value, already serialised
  };
  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<int64_t> shape;
    uint64_t nbytes = 0;
    Producer producer;
  };
  void put(const std::string& key, std::string encoded);
  void emit(const Sink& out) const;

  uint32_t alignment_;
  std::vector<Kv> kvs_;
  std::vector<Tensor> tensors_;
};

}  // namespace lw::io
