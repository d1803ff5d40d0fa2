#pragma once
// NumPy .npy files (format version 1.0), written natively and readable by numpy.load:
//   "\x93NUMPY" 0x01 0x00, uint16 header length, an ASCII dict
//   {'descr': '<i8', 'fortran_order': False, 'shape': (N, L), } padded with spaces and a final '\n'
//   so the data starts at a multiple of 64 bytes, then the C-order little-endian data.
// NpyWriter streams rows of a growing first dimension (bounded memory): the header is written with
// room to spare and rewritten with the final shape on commit(); the file appears atomically.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace lw::io {

// The dtypes used in this project, by their NumPy descr.
enum class NpyDtype { i8, i4, u4, u1, f4 };

const char* npy_descr(NpyDtype dt);  // "<i8", "<i4", "<u4", "|u1", "<f4"
size_t npy_itemsize(NpyDtype dt);

// Builds the full preamble (magic, version, header length, dict, padding) for a shape; its size is
// a multiple of 64, at least min_size.
std::string npy_header(NpyDtype dt, const std::vector<int64_t>& shape, size_t min_size = 0);

class NpyWriter {
 public:
  // inner_shape: every dimension after the first (empty for a 1-D array).
  NpyWriter(std::filesystem::path path, NpyDtype dtype, std::vector<int64_t> inner_shape);
  ~NpyWriter();  // removes the temporary file unless committed
  NpyWriter(const NpyWriter&) = delete;
  NpyWriter& operator=(const NpyWriter&) = delete;

  // Appends whole rows: n_elems must be a multiple of the inner size. T must match the dtype's size.
  void append_raw(const void* data, size_t n_elems);
  template <typename T>
  void append(std::span<const T> values) {
    check_item(sizeof(T));
    append_raw(values.data(), values.size());
  }
  int64_t rows() const { return rows_; }
  // Rewrites the header with the final shape, fsyncs and renames into place.
  void commit();

 private:
  void check_item(size_t size) const;

  std::filesystem::path path_, tmp_;
  NpyDtype dtype_;
  std::vector<int64_t> inner_;
  size_t inner_size_ = 1;
  size_t header_size_ = 0;
  int64_t rows_ = 0;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

// A whole .npy file in memory.
struct NpyArray {
  NpyDtype dtype = NpyDtype::u1;
  std::vector<int64_t> shape;
  std::vector<unsigned char> data;  // little-endian C-order elements

  int64_t size() const;  // product of shape
  template <typename T>
  const T* as() const {
    return reinterpret_cast<const T*>(data.data());
  }
};

// Reads a .npy file (version 1.0 or 2.0, C order, one of the dtypes above). Throws InputError
// naming the file and what is wrong.
NpyArray read_npy(const std::filesystem::path& path);

}  // namespace lw::io
