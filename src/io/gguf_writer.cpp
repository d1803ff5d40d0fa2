#include "io/gguf_writer.hpp"

#include <cstring>

#include "io/file.hpp"
#include "util/error.hpp"

namespace lw::io {

namespace {

using VT = GgufStreamWriter::ValueType;

template <typename T>
void put_raw(std::string& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // the host is little-endian (x86-64, aarch64), as GGUF is
  out.append(buf, sizeof(T));
}

void put_string(std::string& out, std::string_view s) {
  put_raw<uint64_t>(out, s.size());
  out.append(s);
}

template <typename T>
std::string scalar(VT type, T v) {
  std::string out;
  put_raw<uint32_t>(out, static_cast<uint32_t>(type));
  put_raw<T>(out, v);
  return out;
}

template <typename T>
std::string array(VT elem, std::span<const T> v) {
  std::string out;
  put_raw<uint32_t>(out, static_cast<uint32_t>(VT::array));
  put_raw<uint32_t>(out, static_cast<uint32_t>(elem));
  put_raw<uint64_t>(out, v.size());
  for (const T& x : v) put_raw<T>(out, x);
  return out;
}

uint64_t pad_to(uint64_t n, uint64_t align) {
  return (n + align - 1) / align * align;
}

}  // namespace

GgufStreamWriter::GgufStreamWriter(uint32_t alignment) : alignment_(alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    fail_input("GGUF alignment must be a power of two, got {}", alignment);
  if (alignment != 32) set_u32("general.alignment", alignment);
}

void GgufStreamWriter::put(const std::string& key, std::string encoded) {
  if (key.empty()) fail_input("GGUF metadata key must not be empty");
  for (auto& kv : kvs_) {
    if (kv.key == key) {
      kv.encoded = std::move(encoded);
      return;
    }
  }
  kvs_.push_back({key, std::move(encoded)});
}

bool GgufStreamWriter::has_key(const std::string& key) const {
  for (const auto& kv : kvs_)
    if (kv.key == key) return true;
  return false;
}

void GgufStreamWriter::set_u8(const std::string& k, uint8_t v) {
  put(k, scalar(VT::u8, v));
}
void GgufStreamWriter::set_i8(const std::string& k, int8_t v) {
  put(k, scalar(VT::i8, v));
}
void GgufStreamWriter::set_u16(const std::string& k, uint16_t v) {
  put(k, scalar(VT::u16, v));
}
void GgufStreamWriter::set_i16(const std::string& k, int16_t v) {
  put(k, scalar(VT::i16, v));
}
void GgufStreamWriter::set_u32(const std::string& k, uint32_t v) {
  put(k, scalar(VT::u32, v));
}
void GgufStreamWriter::set_i32(const std::string& k, int32_t v) {
  put(k, scalar(VT::i32, v));
}
void GgufStreamWriter::set_u64(const std::string& k, uint64_t v) {
  put(k, scalar(VT::u64, v));
}
void GgufStreamWriter::set_i64(const std::string& k, int64_t v) {
  put(k, scalar(VT::i64, v));
}
void GgufStreamWriter::set_f32(const std::string& k, float v) {
  put(k, scalar(VT::f32, v));
}
void GgufStreamWriter::set_f64(const std::string& k, double v) {
  put(k, scalar(VT::f64, v));
}
void GgufStreamWriter::set_bool(const std::string& k, bool v) {
  put(k, scalar<uint8_t>(VT::boolean, v ? 1 : 0));
}

void GgufStreamWriter::set_string(const std::string& k, std::string_view v) {
  std::string out;
  put_raw<uint32_t>(out, static_cast<uint32_t>(VT::string));
  put_string(out, v);
  put(k, std::move(out));
}

void GgufStreamWriter::set_array_u8(const std::string& k, std::span<const uint8_t> v) {
  put(k, array(VT::u8, v));
}
void GgufStreamWriter::set_array_i32(const std::string& k, std::span<const int32_t> v) {
  put(k, array(VT::i32, v));
}
void GgufStreamWriter::set_array_u32(const std::string& k, std::span<const uint32_t> v) {
  put(k, array(VT::u32, v));
}
void GgufStreamWriter::set_array_i64(const std::string& k, std::span<const int64_t> v) {
  put(k, array(VT::i64, v));
}
void GgufStreamWriter::set_array_u64(const std::string& k, std::span<const uint64_t> v) {
  put(k, array(VT::u64, v));
}
void GgufStreamWriter::set_array_f32(const std::string& k, std::span<const float> v) {
  put(k, array(VT::f32, v));
}
void GgufStreamWriter::set_array_f64(const std::string& k, std::span<const double> v) {
  put(k, array(VT::f64, v));
}

void GgufStreamWriter::set_array_bool(const std::string& k, std::span<const bool> v) {
  std::vector<uint8_t> bytes(v.begin(), v.end());
  std::string out = array(VT::u8, std::span<const uint8_t>(bytes));
  uint32_t elem = static_cast<uint32_t>(VT::boolean);
  std::memcpy(out.data() + 4, &elem, 4);
  put(k, std::move(out));
}

void GgufStreamWriter::set_array_string(const std::string& k, std::span<const std::string> v) {
  std::string out;
  put_raw<uint32_t>(out, static_cast<uint32_t>(VT::array));
  put_raw<uint32_t>(out, static_cast<uint32_t>(VT::string));
  put_raw<uint64_t>(out, v.size());
  for (const auto& s : v) put_string(out, s);
  put(k, std::move(out));
}

void GgufStreamWriter::add_tensor_owned(const std::string& name, TensorType type, std::vector<int64_t> shape,
                                        std::string bytes) {
  add_tensor(name, type, std::move(shape), [b = std::move(bytes)](const Sink& sink) { sink(b); });
}

bool GgufStreamWriter::set(const std::string& k, const GgufValue& v) {
  switch (v.type) {
    case GgufType::u8:
      set_u8(k, static_cast<uint8_t>(v.u));
      return true;
    case GgufType::i8:
      set_i8(k, static_cast<int8_t>(v.i));
      return true;
    case GgufType::u16:
      set_u16(k, static_cast<uint16_t>(v.u));
      return true;
    case GgufType::i16:
      set_i16(k, static_cast<int16_t>(v.i));
      return true;
    case GgufType::u32:
      set_u32(k, static_cast<uint32_t>(v.u));
      return true;
    case GgufType::i32:
      set_i32(k, static_cast<int32_t>(v.i));
      return true;
    case GgufType::u64:
      set_u64(k, v.u);
      return true;
    case GgufType::i64:
      set_i64(k, v.i);
      return true;
    case GgufType::f32:
      set_f32(k, static_cast<float>(v.f));
      return true;
    case GgufType::f64:
      set_f64(k, v.f);
      return true;
    case GgufType::boolean:
      set_bool(k, v.u != 0);
      return true;
    case GgufType::string:
      set_string(k, v.str);
      return true;
    case GgufType::array:
      break;
  }
  if (v.elem_type == GgufType::string) {
    set_array_string(k, v.strings);
    return true;
  }
  if (v.elem_type == GgufType::array) return false;
  std::string out;  // numeric and bool elements: the reader keeps their little-endian bytes as stored
  put_raw<uint32_t>(out, static_cast<uint32_t>(VT::array));
  put_raw<uint32_t>(out, static_cast<uint32_t>(v.elem_type));
  put_raw<uint64_t>(out, v.count);
  out.append(reinterpret_cast<const char*>(v.raw.data()), v.raw.size());
  put(k, std::move(out));
  return true;
}

void GgufStreamWriter::add_tensor(const std::string& name, TensorType type, std::vector<int64_t> shape,
                                  std::span<const std::byte> data) {
  add_tensor(name, type, std::move(shape), [data](const Sink& sink) {
    sink(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
  });
}

void GgufStreamWriter::add_tensor(const std::string& name, TensorType type, std::vector<int64_t> shape,
                                  Producer producer) {
  if (name.empty()) fail_input("GGUF tensor name must not be empty");
  if (shape.empty() || shape.size() > 4)
    fail_input("GGUF tensor {}: expected 1 to 4 dimensions, got {}", name, shape.size());
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d <= 0) fail_input("GGUF tensor {}: dimension {} is not positive", name, d);
    numel *= static_cast<uint64_t>(d);
  }
  for (const auto& t : tensors_)
    if (t.name == name) fail_input("GGUF tensor {} added twice", name);
  const GgmlTypeTraits tr = ggml_type_traits(type);
  if (tr.block_size == 0)
    fail_input("GGUF tensor {}: unknown GGML type {}", name, static_cast<uint32_t>(type));
  if (static_cast<uint64_t>(shape.back()) % tr.block_size != 0)
    fail_input("GGUF tensor {}: {} needs rows of a multiple of {} elements, got {}", name,
               ggml_type_name(type), tr.block_size, shape.back());
  const uint64_t nbytes = numel / tr.block_size * tr.type_size;
  tensors_.push_back({name, type, std::move(shape), nbytes, std::move(producer)});
}

void GgufStreamWriter::emit(const Sink& out) const {
  std::string head;
  head.append("GGUF", 4);
  put_raw<uint32_t>(head, 3);
  put_raw<uint64_t>(head, tensors_.size());
  put_raw<uint64_t>(head, kvs_.size());
  for (const auto& kv : kvs_) {
    put_string(head, kv.key);
    head += kv.encoded;
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    put_string(head, t.name);
    put_raw<uint32_t>(head, static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it)
      put_raw<uint64_t>(head, static_cast<uint64_t>(*it));
    put_raw<uint32_t>(head, static_cast<uint32_t>(t.type));
    put_raw<uint64_t>(head, offset);
    offset = pad_to(offset + t.nbytes, alignment_);
  }
  head.resize(pad_to(head.size(), alignment_), '\0');
  out(head);
  const std::string zeros(alignment_, '\0');
  for (const auto& t : tensors_) {
    uint64_t written = 0;
    t.producer([&](std::string_view piece) {
      written += piece.size();
      if (written > t.nbytes) fail("GGUF tensor {}: producer wrote more than {} bytes", t.name, t.nbytes);
      out(piece);
    });
    if (written != t.nbytes)
      fail("GGUF tensor {}: producer wrote {} bytes, expected {}", t.name, written, t.nbytes);
    uint64_t pad = pad_to(t.nbytes, alignment_) - t.nbytes;
    if (pad) out(std::string_view(zeros.data(), pad));
  }
}

void GgufStreamWriter::write(const std::filesystem::path& path) const {
  AtomicFile f(path);
  emit([&](std::string_view piece) { f.write(piece); });
  f.commit();
}

std::string GgufStreamWriter::to_bytes() const {
  std::string out;
  emit([&](std::string_view piece) { out.append(piece); });
  return out;
}

}  // namespace lw::io
