#pragma once
// GGUF (v2/v3) reader (io/gguf_writer.hpp writes). The reader memory-maps the file, parses the header, the
// metadata key/values (all value types, nested arrays included) and the tensor infos, and exposes
// each tensor's name, ggml type, dims (ne[0] first, the fastest-varying one) and a span over its
// bytes inside the mapping. Every count and offset is checked against the file size before any
// allocation, so a malformed or malicious header gives an InputError naming the file, never a
// crash or a multi-gigabyte allocation.
//
// Layout (little-endian): "GGUF" u32 version, u64 n_tensors, u64 n_kv; n_kv × (string key,
// u32 type, value); n_tensors × (string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type,
// u64 offset); padding to general.alignment (default 32); tensor data. Strings are u64 length +
// bytes; arrays are u32 element type + u64 count + elements.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lw::io {

enum class GgufType : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};
const char* gguf_type_name(GgufType t);

// ggml tensor element types (the values stored in GGUF tensor infos).
enum class GgmlType : uint32_t {
  f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
  q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15,
  iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22,
  iq4_xs = 23, i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30,
  tq1_0 = 34, tq2_0 = 35,
};
// "f32", "q4_k", ...; "unknown" for values outside the table.
const char* ggml_type_name(GgmlType t);
// Elements per block and bytes per block; block_size 0 for unknown types.
struct GgmlTypeTraits {
  uint32_t block_size = 0;
  uint32_t type_size = 0;
};
GgmlTypeTraits ggml_type_traits(GgmlType t);

// One metadata value. Scalars live in the scalar fields; arrays keep their element type, count and
// either the raw little-endian element bytes (numeric/bool), the strings, or nested arrays.
struct GgufValue {
  GgufType type = GgufType::u8;
  uint64_t u = 0;      // unsigned integer types and bool
  int64_t i = 0;       // signed integer types
  double f = 0;        // f32/f64
  std::string str;     // string
  GgufType elem_type = GgufType::u8;  // array
  uint64_t count = 0;                 // array
  std::vector<uint8_t> raw;           // numeric/bool array elements, packed
  std::vector<std::string> strings;   // string array elements
  std::vector<GgufValue> arrays;      // nested array elements

  bool is_integer() const;
  bool is_float() const { return type == GgufType::f32 || type == GgufType::f64; }
  // Scalar conversions; throw InputError (naming `what`) on a type mismatch or out-of-range.
  int64_t as_int(std::string_view what) const;
  double as_float(std::string_view what) const;
  // Numeric array elements converted; throw InputError if the array is not numeric.
  std::vector<int64_t> int_array(std::string_view what) const;
  std::vector<float> float_array(std::string_view what) const;

  static GgufValue make_string(std::string s);
  static GgufValue make_u32(uint32_t v);
  static GgufValue make_i32(int32_t v);
  static GgufValue make_u64(uint64_t v);
  static GgufValue make_f32(float v);
  static GgufValue make_bool(bool v);
  static GgufValue make_string_array(std::vector<std::string> v);
  static GgufValue make_f32_array(const std::vector<float>& v);
  static GgufValue make_i32_array(const std::vector<int32_t>& v);
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::f32;
  std::vector<int64_t> dims;  // ne[0] (fastest varying) first, at most 4
  uint64_t offset = 0;        // relative to the start of the data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  std::span<const std::byte> data;  // inside the file mapping
};

class GgufFile {
 public:
  // Memory-maps and parses `path`. Throws InputError naming the file and what is wrong.
  static GgufFile open(const std::filesystem::path& path);
  // Parses an in-memory image (tests, fuzzing); `name` is used in error messages.
  static GgufFile from_bytes(std::string bytes, std::string name = "<memory>");

  const std::string& name() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return size_; }

  const std::vector<GgufKeyValue>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Typed getters: throw InputError "FILE: key K: missing" / "expected TYPE, found TYPE".
  const GgufValue& get(std::string_view key) const;
  std::string get_string(std::string_view key) const;
  std::optional<std::string> get_string_opt(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  int64_t get_int(std::string_view key, int64_t fallback) const;
  double get_float(std::string_view key, double fallback) const;
  bool get_bool(std::string_view key, bool fallback) const;
  const std::vector<std::string>& get_string_array(std::string_view key) const;
  std::vector<float> get_float_array(std::string_view key) const;
  std::vector<int64_t> get_int_array(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  // Throws InputError if the tensor is absent.
  const GgufTensorInfo& tensor(std::string_view name) const;

 private:
  struct Storage;
  void parse();

  std::string name_;
  std::shared_ptr<Storage> storage_;  // keeps the mapping alive for the tensor spans
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> kv_;
  std::vector<GgufTensorInfo> tensors_;
};

}  // namespace lw::io
