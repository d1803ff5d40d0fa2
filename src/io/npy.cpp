#include "io/npy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "io/file.hpp"
#include "io/write_guard.hpp"
#include "util/error.hpp"

namespace lw::io {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// Room reserved for the streamed header: enough for any shape of up to ~6 dimensions.
constexpr size_t kStreamHeaderSize = 128;

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

}  // namespace

const char* npy_descr(NpyDtype dt) {
  switch (dt) {
    case NpyDtype::i8: return "<i8";
    case NpyDtype::i4: return "<i4";
    case NpyDtype::u4: return "<u4";
    case NpyDtype::u1: return "|u1";
    case NpyDtype::f4: return "<f4";
  }
  return "?";
}

size_t npy_itemsize(NpyDtype dt) {
  switch (dt) {
    case NpyDtype::i8: return 8;
    case NpyDtype::i4:
    case NpyDtype::u4:
    case NpyDtype::f4: return 4;
    case NpyDtype::u1: return 1;
  }
  return 0;
}

std::string npy_header(NpyDtype dt, const std::vector<int64_t>& shape, size_t min_size) {
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 npy_descr(dt), shape_str(shape));
  size_t base = kMagicLen + 2 + 2;  // magic, version, uint16 length
  size_t total = base + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  if (total < min_size) total = (min_size + 63) / 64 * 64;
  size_t hlen = total - base;
  LW_CHECK(hlen <= 65535, "npy header too long");
  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(hlen & 0xff);
  out += static_cast<char>((hlen >> 8) & 0xff);
  out += dict;
  out.append(hlen - dict.size() - 1, ' ');
  out += '\n';
  return out;
}

NpyWriter::NpyWriter(fs::path path, NpyDtype dtype, std::vector<int64_t> inner_shape)
    : path_(std::move(path)), dtype_(dtype), inner_(std::move(inner_shape)) {
  for (int64_t d : inner_) {
    LW_CHECK(d >= 0, "negative npy dimension");
    inner_size_ *= static_cast<size_t>(d);
  }
  tmp_ = temp_path_for(path_);
  if (path_.has_parent_path()) fs::create_directories(path_.parent_path());
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) fail("cannot create {}: {}", tmp_.string(), std::strerror(errno));
  std::vector<int64_t> shape{0};
  shape.insert(shape.end(), inner_.begin(), inner_.end());
  std::string h = npy_header(dtype_, shape, kStreamHeaderSize);
  header_size_ = h.size();
  write_bytes(f_, h.data(), h.size(), path_);
}

NpyWriter::~NpyWriter() {
  if (f_) std::fclose(f_);
  if (!committed_) {
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void NpyWriter::check_item(size_t size) const {
  LW_CHECK(size == npy_itemsize(dtype_), "npy element size {} does not match dtype {}", size,
           npy_descr(dtype_));
}

void NpyWriter::append_raw(const void* data, size_t n_elems) {
  LW_CHECK(f_ != nullptr, "append after commit");
  if (inner_size_ == 0) {
    LW_CHECK(n_elems == 0, "rows of an empty inner shape hold no elements");
    return;
  }
  LW_CHECK(n_elems % inner_size_ == 0, "npy append of {} elements is not whole rows of {}", n_elems,
           inner_size_);
  size_t bytes = n_elems * npy_itemsize(dtype_);
  write_bytes(f_, data, bytes, path_);
  rows_ += static_cast<int64_t>(n_elems / inner_size_);
}

void NpyWriter::commit() {
  LW_CHECK(f_ != nullptr, "commit twice");
  std::vector<int64_t> shape{rows_};
  shape.insert(shape.end(), inner_.begin(), inner_.end());
  std::string h = npy_header(dtype_, shape, header_size_);
  LW_CHECK(h.size() == header_size_, "npy header grew");
  if (std::fseek(f_, 0, SEEK_SET) != 0) fail_write(path_, errno, h.size());
  write_bytes(f_, h.data(), h.size(), path_);
  if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0) fail_write(path_, errno, 0);
  std::fclose(f_);
  f_ = nullptr;
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) fail("cannot rename {} to {}: {}", tmp_.string(), path_.string(), ec.message());
  committed_ = true;
}

int64_t NpyArray::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

NpyArray read_npy(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input("{}: cannot open file: {}", path.string(), std::strerror(errno));
  char pre[10];
  if (!in.read(pre, 8) || std::memcmp(pre, kMagic, kMagicLen) != 0)
    fail_input("{}: not a .npy file (bad magic)", path.string());
  int major = static_cast<unsigned char>(pre[6]);
  size_t hlen = 0;
  if (major == 1) {
    if (!in.read(pre, 2)) fail_input("{}: truncated .npy header", path.string());
    hlen = static_cast<unsigned char>(pre[0]) | (static_cast<size_t>(static_cast<unsigned char>(pre[1])) << 8);
  } else if (major == 2 || major == 3) {
    if (!in.read(pre, 4)) fail_input("{}: truncated .npy header", path.string());
    for (int i = 3; i >= 0; --i) hlen = (hlen << 8) | static_cast<unsigned char>(pre[i]);
  } else {
    fail_input("{}: unsupported .npy version {}", path.string(), major);
  }
  std::string dict(hlen, '\0');
  if (!in.read(dict.data(), static_cast<std::streamsize>(hlen)))
    fail_input("{}: truncated .npy header", path.string());
  NpyArray arr;
  auto field = [&](const std::string& key) -> std::string {
    auto p = dict.find("'" + key + "'");
    if (p == std::string::npos) fail_input("{}: .npy header has no '{}'", path.string(), key);
    p = dict.find(':', p);
    if (p == std::string::npos) fail_input("{}: malformed .npy header", path.string());
    return dict.substr(p + 1);
  };
  std::string d = field("descr");
  bool found = false;
  for (NpyDtype dt : {NpyDtype::i8, NpyDtype::i4, NpyDtype::u4, NpyDtype::u1, NpyDtype::f4}) {
    std::string want = std::string("'") + npy_descr(dt) + "'";
    std::string alt = want;
    if (dt == NpyDtype::u1) alt = "'<u1'";
    auto q = d.find_first_not_of(' ');
    if (d.compare(q, want.size(), want) == 0 || d.compare(q, alt.size(), alt) == 0) {
      arr.dtype = dt;
      found = true;
      break;
    }
  }
  if (!found) fail_input("{}: unsupported .npy dtype in header {}", path.string(), dict);
  std::string fo = field("fortran_order");
  if (fo.find("False") == std::string::npos || fo.find("False") > fo.find_first_of(",}"))
    fail_input("{}: Fortran-order .npy arrays are not supported", path.string());
  std::string sh = field("shape");
  auto open = sh.find('('), close = sh.find(')');
  if (open == std::string::npos || close == std::string::npos)
    fail_input("{}: malformed .npy shape", path.string());
  std::string inner = sh.substr(open + 1, close - open - 1);
  size_t pos = 0;
  while (pos < inner.size()) {
    auto comma = inner.find(',', pos);
    std::string part = inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto a = part.find_first_not_of(' ');
    if (a != std::string::npos) {
      try {
        arr.shape.push_back(std::stoll(part.substr(a)));
      } catch (const std::exception&) {
        fail_input("{}: malformed .npy shape '{}'", path.string(), inner);
      }
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  size_t bytes = static_cast<size_t>(arr.size()) * npy_itemsize(arr.dtype);
  arr.data.resize(bytes);
  if (bytes && !in.read(reinterpret_cast<char*>(arr.data.data()), static_cast<std::streamsize>(bytes)))
    fail_input("{}: truncated .npy data (expected {} bytes)", path.string(), bytes);
  return arr;
}

}  // namespace lw::io
