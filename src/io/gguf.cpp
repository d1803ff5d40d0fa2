#include "io/gguf.hpp"


#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <set>
#include <limits>

#include "io/file.hpp"
#include "util/error.hpp"

namespace lw::io {

namespace {

constexpr uint32_t kMaxDims = 4;
constexpr int kMaxArrayDepth = 8;

size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::u8: case GgufType::i8: case GgufType::boolean: return 1;
    case GgufType::u16: case GgufType::i16: return 2;
    case GgufType::u32: case GgufType::i32: case GgufType::f32: return 4;
    case GgufType::u64: case GgufType::i64: case GgufType::f64: return 8;
    default: return 0;
  }
}

bool valid_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::f64); }

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Reads a scalar element of type t at p into a value's scalar fields.
void decode_scalar(GgufType t, const uint8_t* p, GgufValue& v) {
  v.type = t;
  switch (t) {
    case GgufType::u8: v.u = p[0]; break;
    case GgufType::i8: v.i = static_cast<int8_t>(p[0]); break;
    case GgufType::boolean: v.u = p[0] != 0; break;
    case GgufType::u16: v.u = load<uint16_t>(p); break;
    case GgufType::i16: v.i = load<int16_t>(p); break;
    case GgufType::u32: v.u = load<uint32_t>(p); break;
    case GgufType::i32: v.i = load<int32_t>(p); break;
    case GgufType::f32: v.f = load<float>(p); break;
    case GgufType::u64: v.u = load<uint64_t>(p); break;
    case GgufType::i64: v.i = load<int64_t>(p); break;
    case GgufType::f64: v.f = load<double>(p); break;
    default: break;
  }
}

class Cursor {
 public:
  Cursor(const uint8_t* base, uint64_t size, const std::string& name)
      : base_(base), size_(size), name_(name) {}
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  [[noreturn]] void bad(const std::string& what) const {
    fail_input("{}: malformed GGUF at byte {}: {}", name_, pos_, what);
  }
  void need(uint64_t n, const char* what) const {
    if (n > remaining()) {
      fail_input("{}: truncated GGUF: {} needs {} bytes at offset {}, file has {} bytes", name_,
                 what, n, pos_, size_);
    }
  }
  const uint8_t* take(uint64_t n, const char* what) {
    need(n, what);
    const uint8_t* p = base_ + pos_;
    pos_ += n;
    return p;
  }
  uint32_t u32(const char* what) { return load<uint32_t>(take(4, what)); }
  uint64_t u64(const char* what) { return load<uint64_t>(take(8, what)); }
  std::string str(const char* what) {
    uint64_t n = u64(what);
    need(n, what);
    const uint8_t* p = take(n, what);
    return std::string(reinterpret_cast<const char*>(p), n);
  }

  GgufValue value(GgufType t, const std::string& key, int depth) {
    GgufValue v;
    v.type = t;
    if (t == GgufType::string) {
      v.str = str("string value");
    } else if (t == GgufType::array) {
      if (depth >= kMaxArrayDepth) bad(fmt::format("key {}: arrays nested too deeply", key));
      uint32_t et = u32("array element type");
      if (!valid_type(et)) bad(fmt::format("key {}: unknown array element type {}", key, et));
      v.elem_type = static_cast<GgufType>(et);
      v.count = u64("array length");
      // Every element takes at least one byte (strings and arrays at least eight), so a count
      // larger than the bytes left is malformed: this bounds every allocation by the file size.
      size_t es = scalar_size(v.elem_type);
      uint64_t min_bytes = es ? es : 8;
      if (v.count > remaining() / min_bytes) {
        bad(fmt::format("key {}: array of {} elements does not fit in the {} bytes left", key,
                        v.count, remaining()));
      }
      if (es) {
        const uint8_t* p = take(v.count * es, "array data");
        v.raw.assign(p, p + v.count * es);
      } else if (v.elem_type == GgufType::string) {
        v.strings.reserve(v.count);
        for (uint64_t k = 0; k < v.count; ++k) v.strings.push_back(str("array string"));
      } else {
        v.arrays.reserve(v.count);
        for (uint64_t k = 0; k < v.count; ++k) v.arrays.push_back(value(GgufType::array, key, depth + 1));
      }
    } else {
      decode_scalar(t, take(scalar_size(t), "scalar value"), v);
    }
    return v;
  }

 private:
  const uint8_t* base_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& name_;
};

const char* scalar_name(GgufType t) { return gguf_type_name(t); }

}  // namespace

const char* gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::u8: return "u8";
    case GgufType::i8: return "i8";
    case GgufType::u16: return "u16";
    case GgufType::i16: return "i16";
    case GgufType::u32: return "u32";
    case GgufType::i32: return "i32";
    case GgufType::f32: return "f32";
    case GgufType::boolean: return "bool";
    case GgufType::string: return "string";
    case GgufType::array: return "array";
    case GgufType::u64: return "u64";
    case GgufType::i64: return "i64";
    case GgufType::f64: return "f64";
  }
  return "unknown";
}

// The GGML tensor types: name, elements per block, bytes per block. The one table of block sizes
// (quant/dtype.cpp takes its sizes from here).
namespace {
struct GgmlRow {
  GgmlType type;
  const char* name;
  uint32_t block, bytes;
};
constexpr GgmlRow kGgmlTypes[] = {
    {GgmlType::f32, "f32", 1, 4},          {GgmlType::f16, "f16", 1, 2},
    {GgmlType::q4_0, "q4_0", 32, 18},      {GgmlType::q4_1, "q4_1", 32, 20},
    {GgmlType::q5_0, "q5_0", 32, 22},      {GgmlType::q5_1, "q5_1", 32, 24},
    {GgmlType::q8_0, "q8_0", 32, 34},      {GgmlType::q8_1, "q8_1", 32, 36},
    {GgmlType::q2_k, "q2_k", 256, 84},     {GgmlType::q3_k, "q3_k", 256, 110},
    {GgmlType::q4_k, "q4_k", 256, 144},    {GgmlType::q5_k, "q5_k", 256, 176},
    {GgmlType::q6_k, "q6_k", 256, 210},    {GgmlType::q8_k, "q8_k", 256, 292},
    {GgmlType::iq2_xxs, "iq2_xxs", 256, 66}, {GgmlType::iq2_xs, "iq2_xs", 256, 74},
    {GgmlType::iq3_xxs, "iq3_xxs", 256, 98}, {GgmlType::iq1_s, "iq1_s", 256, 50},
    {GgmlType::iq4_nl, "iq4_nl", 32, 18},  {GgmlType::iq3_s, "iq3_s", 256, 110},
    {GgmlType::iq2_s, "iq2_s", 256, 82},   {GgmlType::iq4_xs, "iq4_xs", 256, 136},
    {GgmlType::i8, "i8", 1, 1},            {GgmlType::i16, "i16", 1, 2},
    {GgmlType::i32, "i32", 1, 4},          {GgmlType::i64, "i64", 1, 8},
    {GgmlType::f64, "f64", 1, 8},          {GgmlType::iq1_m, "iq1_m", 256, 56},
    {GgmlType::bf16, "bf16", 1, 2},        {GgmlType::tq1_0, "tq1_0", 256, 54},
    {GgmlType::tq2_0, "tq2_0", 256, 66},
};
const GgmlRow* ggml_row(GgmlType t) {
  for (const auto& r : kGgmlTypes)
    if (r.type == t) return &r;
  return nullptr;
}
}  // namespace

const char* ggml_type_name(GgmlType t) {
  const GgmlRow* r = ggml_row(t);
  return r ? r->name : "unknown";
}

GgmlTypeTraits ggml_type_traits(GgmlType t) {
  const GgmlRow* r = ggml_row(t);
  return r ? GgmlTypeTraits{r->block, r->bytes} : GgmlTypeTraits{};
}

// ---- GgufValue ----

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::u8: case GgufType::i8: case GgufType::u16: case GgufType::i16:
    case GgufType::u32: case GgufType::i32: case GgufType::u64: case GgufType::i64:
    case GgufType::boolean:
      return true;
    default:
      return false;
  }
}

int64_t GgufValue::as_int(std::string_view what) const {
  if (!is_integer()) fail_input("{}: expected an integer, found {}", what, scalar_name(type));
  switch (type) {
    case GgufType::i8: case GgufType::i16: case GgufType::i32: case GgufType::i64: return i;
    default:
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail_input("{}: value {} out of range", what, u);
      }
      return static_cast<int64_t>(u);
  }
}

double GgufValue::as_float(std::string_view what) const {
  if (is_float()) return f;
  return static_cast<double>(as_int(what));
}

std::vector<int64_t> GgufValue::int_array(std::string_view what) const {
  if (type != GgufType::array) fail_input("{}: expected an array, found {}", what, scalar_name(type));
  size_t es = scalar_size(elem_type);
  if (!es) fail_input("{}: expected a numeric array, found an array of {}", what, scalar_name(elem_type));
  std::vector<int64_t> out(count);
  GgufValue tmp;
  for (uint64_t k = 0; k < count; ++k) {
    decode_scalar(elem_type, raw.data() + k * es, tmp);
    out[k] = tmp.is_float() ? static_cast<int64_t>(tmp.f) : tmp.as_int(what);
  }
  return out;
}

std::vector<float> GgufValue::float_array(std::string_view what) const {
  if (type != GgufType::array) fail_input("{}: expected an array, found {}", what, scalar_name(type));
  size_t es = scalar_size(elem_type);
  if (!es) fail_input("{}: expected a numeric array, found an array of {}", what, scalar_name(elem_type));
  std::vector<float> out(count);
  GgufValue tmp;
  for (uint64_t k = 0; k < count; ++k) {
    decode_scalar(elem_type, raw.data() + k * es, tmp);
    out[k] = static_cast<float>(tmp.as_float(what));
  }
  return out;
}

GgufValue GgufValue::make_string(std::string s) {
  GgufValue v;
  v.type = GgufType::string;
  v.str = std::move(s);
  return v;
}
GgufValue GgufValue::make_u32(uint32_t x) {
  GgufValue v;
  v.type = GgufType::u32;
  v.u = x;
  return v;
}
GgufValue GgufValue::make_i32(int32_t x) {
  GgufValue v;
  v.type = GgufType::i32;
  v.i = x;
  return v;
}
GgufValue GgufValue::make_u64(uint64_t x) {
  GgufValue v;
  v.type = GgufType::u64;
  v.u = x;
  return v;
}
GgufValue GgufValue::make_f32(float x) {
  GgufValue v;
  v.type = GgufType::f32;
  v.f = x;
  return v;
}
GgufValue GgufValue::make_bool(bool x) {
  GgufValue v;
  v.type = GgufType::boolean;
  v.u = x;
  return v;
}
GgufValue GgufValue::make_string_array(std::vector<std::string> xs) {
  GgufValue v;
  v.type = GgufType::array;
  v.elem_type = GgufType::string;
  v.count = xs.size();
  v.strings = std::move(xs);
  return v;
}
GgufValue GgufValue::make_f32_array(const std::vector<float>& xs) {
  GgufValue v;
  v.type = GgufType::array;
  v.elem_type = GgufType::f32;
  v.count = xs.size();
  v.raw.resize(xs.size() * 4);
  if (!xs.empty()) std::memcpy(v.raw.data(), xs.data(), v.raw.size());
  return v;
}
GgufValue GgufValue::make_i32_array(const std::vector<int32_t>& xs) {
  GgufValue v;
  v.type = GgufType::array;
  v.elem_type = GgufType::i32;
  v.count = xs.size();
  v.raw.resize(xs.size() * 4);
  if (!xs.empty()) std::memcpy(v.raw.data(), xs.data(), v.raw.size());
  return v;
}

// ---- GgufFile ----

struct GgufFile::Storage {
  void* map = nullptr;
  size_t map_size = 0;
  std::string bytes;
  ~Storage() {
    if (map && map != MAP_FAILED) munmap(map, map_size);
  }
};

GgufFile GgufFile::open(const std::filesystem::path& path) {
  GgufFile g;
  g.name_ = path.string();
  g.storage_ = std::make_shared<Storage>();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_input("{}: cannot open: {}", g.name_, std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail_input("{}: not a regular file", g.name_);
  }
  g.size_ = static_cast<uint64_t>(st.st_size);
  if (g.size_ > 0) {
    void* m = mmap(nullptr, g.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      fail("{}: mmap failed: {}", g.name_, std::strerror(errno));
    }
    g.storage_->map = m;
    g.storage_->map_size = g.size_;
    g.base_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);
  g.parse();
  return g;
}

GgufFile GgufFile::from_bytes(std::string bytes, std::string name) {
  GgufFile g;
  g.name_ = std::move(name);
  g.storage_ = std::make_shared<Storage>();
  g.storage_->bytes = std::move(bytes);
  g.base_ = reinterpret_cast<const uint8_t*>(g.storage_->bytes.data());
  g.size_ = g.storage_->bytes.size();
  g.parse();
  return g;
}

void GgufFile::parse() {
  static const uint8_t empty = 0;
  Cursor c(base_ ? base_ : &empty, size_, name_);
  const uint8_t* magic = c.take(4, "magic");
  if (std::memcmp(magic, "GGUF", 4) != 0) fail_input("{}: not a GGUF file (bad magic)", name_);
  version_ = c.u32("version");
  if (version_ == 1) fail_input("{}: GGUF version 1 is not supported (expected 2 or 3)", name_);
  if (version_ != 2 && version_ != 3) {
    if ((version_ & 0xFFFF) == 0 && version_ != 0) {
      fail_input("{}: big-endian GGUF is not supported", name_);
    }
    fail_input("{}: unsupported GGUF version {} (expected 2 or 3)", name_, version_);
  }
  uint64_t n_tensors = c.u64("tensor count");
  uint64_t n_kv = c.u64("metadata count");
  // A key/value takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor info at least
  // 8 + 4 + 4 + 8.
  if (n_kv > c.remaining() / 13) {
    fail_input("{}: malformed GGUF: {} metadata entries cannot fit in {} bytes", name_, n_kv, size_);
  }
  if (n_tensors > c.remaining() / 24) {
    fail_input("{}: malformed GGUF: {} tensors cannot fit in {} bytes", name_, n_tensors, size_);
  }
  kv_.reserve(n_kv);
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key = c.str("metadata key");
    uint32_t t = c.u32("metadata value type");
    if (!valid_type(t)) c.bad(fmt::format("key {}: unknown value type {}", key, t));
    GgufValue v = c.value(static_cast<GgufType>(t), key, 0);
    kv_.push_back({std::move(key), std::move(v)});
  }
  if (const GgufValue* a = find("general.alignment")) {
    int64_t al = a->as_int(fmt::format("{}: general.alignment", name_));
    if (al <= 0 || al > (1 << 20) || (al & (al - 1)) != 0) {
      fail_input("{}: general.alignment {} is not a power of two", name_, al);
    }
    alignment_ = static_cast<uint64_t>(al);
  }
  tensors_.reserve(n_tensors);
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensorInfo ti;
    ti.name = c.str("tensor name");
    uint32_t nd = c.u32("tensor dims");
    if (nd == 0 || nd > kMaxDims) {
      c.bad(fmt::format("tensor {}: {} dimensions (expected 1..{})", ti.name, nd, kMaxDims));
    }
    ti.n_elements = 1;
    for (uint32_t d = 0; d < nd; ++d) {
      uint64_t ne = c.u64("tensor dim");
      if (ne > (uint64_t{1} << 40)) c.bad(fmt::format("tensor {}: dimension {} is {}", ti.name, d, ne));
      if (ne != 0 && ti.n_elements > std::numeric_limits<uint64_t>::max() / ne) {
        c.bad(fmt::format("tensor {}: element count overflows", ti.name));
      }
      ti.n_elements *= ne;
      ti.dims.push_back(static_cast<int64_t>(ne));
    }
    uint32_t ty = c.u32("tensor type");
    ti.type = static_cast<GgmlType>(ty);
    GgmlTypeTraits tr = ggml_type_traits(ti.type);
    if (tr.block_size == 0) c.bad(fmt::format("tensor {}: unknown ggml type {}", ti.name, ty));
    if (ti.dims[0] % tr.block_size != 0) {
      c.bad(fmt::format("tensor {}: ne[0]={} is not a multiple of the {} block size {}", ti.name,
                        ti.dims[0], ggml_type_name(ti.type), tr.block_size));
    }
    ti.n_bytes = ti.n_elements / tr.block_size * tr.type_size;
    ti.offset = c.u64("tensor offset");
    if (ti.offset % alignment_ != 0) {
      c.bad(fmt::format("tensor {}: offset {} is not aligned to {}", ti.name, ti.offset, alignment_));
    }
    tensors_.push_back(std::move(ti));
  }
  uint64_t pos = c.pos();
  data_offset_ = (pos + alignment_ - 1) / alignment_ * alignment_;
  if (n_tensors > 0 && data_offset_ > size_) {
    fail_input("{}: truncated GGUF: tensor data section starts at {} but the file has {} bytes",
               name_, data_offset_, size_);
  }
  uint64_t data_size = size_ > data_offset_ ? size_ - data_offset_ : 0;
  for (auto& ti : tensors_) {
    if (ti.offset > data_size || ti.n_bytes > data_size - ti.offset) {
      fail_input("{}: truncated GGUF: tensor {} ({} bytes at data offset {}) runs past the end of "
                 "the file ({} data bytes)",
                 name_, ti.name, ti.n_bytes, ti.offset, data_size);
    }
    ti.data = std::span<const std::byte>(
        reinterpret_cast<const std::byte*>(base_ + data_offset_ + ti.offset), ti.n_bytes);
  }
  // Tensors must not share bytes (aliased weights) nor names (which one would a lookup get?).
  std::vector<const GgufTensorInfo*> by_offset;
  for (const auto& ti : tensors_)
    if (ti.n_bytes > 0) by_offset.push_back(&ti);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const auto &a = *by_offset[i - 1], &b = *by_offset[i];
    if (b.offset < a.offset + a.n_bytes)
      fail_input("{}: malformed GGUF: tensors {} and {} overlap (data bytes [{}, {}) and [{}, {}))", name_, a.name,
                 b.name, a.offset, a.offset + a.n_bytes, b.offset, b.offset + b.n_bytes);
  }
  std::set<std::string_view> names;
  for (const auto& ti : tensors_)
    if (!names.insert(ti.name).second) fail_input("{}: malformed GGUF: tensor {} appears twice", name_, ti.name);
}

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& kv : kv_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

const GgufValue& GgufFile::get(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) fail_input("{}: metadata key {} is missing", name_, key);
  return *v;
}

std::string GgufFile::get_string(std::string_view key) const {
  const GgufValue& v = get(key);
  if (v.type != GgufType::string) {
    fail_input("{}: metadata key {}: expected string, found {}", name_, key, scalar_name(v.type));
  }
  return v.str;
}

std::optional<std::string> GgufFile::get_string_opt(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return get_string(key);
}

int64_t GgufFile::get_int(std::string_view key) const {
  return get(key).as_int(fmt::format("{}: metadata key {}", name_, key));
}

int64_t GgufFile::get_int(std::string_view key, int64_t fallback) const {
  return has(key) ? get_int(key) : fallback;
}

double GgufFile::get_float(std::string_view key, double fallback) const {
  const GgufValue* v = find(key);
  return v ? v->as_float(fmt::format("{}: metadata key {}", name_, key)) : fallback;
}

bool GgufFile::get_bool(std::string_view key, bool fallback) const {
  const GgufValue* v = find(key);
  if (!v) return fallback;
  if (v->type != GgufType::boolean) {
    fail_input("{}: metadata key {}: expected bool, found {}", name_, key, scalar_name(v->type));
  }
  return v->u != 0;
}

const std::vector<std::string>& GgufFile::get_string_array(std::string_view key) const {
  const GgufValue& v = get(key);
  if (v.type != GgufType::array || v.elem_type != GgufType::string) {
    fail_input("{}: metadata key {}: expected an array of strings", name_, key);
  }
  return v.strings;
}

std::vector<float> GgufFile::get_float_array(std::string_view key) const {
  return get(key).float_array(fmt::format("{}: metadata key {}", name_, key));
}

std::vector<int64_t> GgufFile::get_int_array(std::string_view key) const {
  return get(key).int_array(fmt::format("{}: metadata key {}", name_, key));
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const GgufTensorInfo& GgufFile::tensor(std::string_view name) const {
  const GgufTensorInfo* t = find_tensor(name);
  if (!t) fail_input("{}: tensor {} is missing", name_, name);
  return *t;
}

}  // namespace lw::io
