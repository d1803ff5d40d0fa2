#pragma once
// safetensors reading (memory-mapped; one file or a sharded model.safetensors.index.json) and
// writing (atomic). Format: u64 little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the data; offsets are relative to the end of the header.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lw::io {

// Element types this project reads and writes ("F32", "F16", "BF16", "I32", "I64", "U8", "I8",
// "F64" in the file). Others are rejected with InputError naming tensor and dtype.
enum class StDType { F32, F16, BF16, F64, I64, I32, I8, U8 };
std::string st_dtype_name(StDType t);
size_t st_dtype_size(StDType t);

struct StTensor {
  std::string name;
  StDType dtype = StDType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // into the mmap; valid while the reader lives
  size_t nbytes = 0;
  std::string file;  // the file holding it (for error messages)
  int64_t numel() const;
};

class SafetensorsReader {
 public:
  // `path`: a .safetensors file, a model.safetensors.index.json, or a directory holding either.
  explicit SafetensorsReader(const std::filesystem::path& path);
  ~SafetensorsReader();
  SafetensorsReader(const SafetensorsReader&) = delete;
  SafetensorsReader& operator=(const SafetensorsReader&) = delete;

  bool has(const std::string& name) const;
  // Throws InputError "FILE: tensor NAME not found" when absent.
  const StTensor& get(const std::string& name) const;
  // Throws InputError naming file, tensor, expected and actual shape when mis-shaped.
  const StTensor& get(const std::string& name, const std::vector<int64_t>& shape) const;
  std::vector<std::string> names() const;  // sorted
  // The __metadata__ of the first file (string to string).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::filesystem::path& path() const { return path_; }
  size_t mapped_bytes() const;

 private:
  struct Mapping;
  void open_file(const std::filesystem::path& file);
  std::filesystem::path path_;
  std::vector<std::unique_ptr<Mapping>> maps_;
  std::map<std::string, StTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Collects tensors (copied or referenced) and writes one .safetensors file atomically. Tensors are
// written in name order, 8-byte aligned header (spaces padded) as the format recommends.
class SafetensorsWriter {
 public:
  // Copies the bytes (nbytes must equal numel * dtype size).
  void add(const std::string& name, StDType dtype, std::vector<int64_t> shape, const void* data,
           size_t nbytes);
  // References the bytes without copying: they must stay valid until write() returns.
  void add_ref(const std::string& name, StDType dtype, std::vector<int64_t> shape, const void* data,
               size_t nbytes);
  void add_f32(const std::string& name, std::vector<int64_t> shape, const float* data);
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  void write(const std::filesystem::path& path) const;
  size_t size() const { return tensors_.size(); }

 private:
  struct Entry {
    StDType dtype;
    std::vector<int64_t> shape;
    std::string bytes;            // owned copy, or
    const void* ref = nullptr;    // referenced bytes
    size_t nbytes = 0;
  };
  void check_new(const std::string& name, StDType dtype, const std::vector<int64_t>& shape,
                 size_t nbytes) const;
  std::map<std::string, Entry> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace lw::io
