#include "io/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "io/file.hpp"
#include "io/json_read.hpp"
#include "util/error.hpp"

namespace lw::io {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string st_dtype_name(StDType t) {
  switch (t) {
    case StDType::F32: return "F32";
    case StDType::F16: return "F16";
    case StDType::BF16: return "BF16";
    case StDType::F64: return "F64";
    case StDType::I64: return "I64";
    case StDType::I32: return "I32";
    case StDType::I8: return "I8";
    case StDType::U8: return "U8";
  }
  return "?";
}

size_t st_dtype_size(StDType t) {
  switch (t) {
    case StDType::F64:
    case StDType::I64: return 8;
    case StDType::F32:
    case StDType::I32: return 4;
    case StDType::F16:
    case StDType::BF16: return 2;
    case StDType::I8:
    case StDType::U8: return 1;
  }
  return 0;
}

static bool parse_dtype(const std::string& s, StDType& out) {
  for (StDType t : {StDType::F32, StDType::F16, StDType::BF16, StDType::F64, StDType::I64,
                    StDType::I32, StDType::I8, StDType::U8}) {
    if (st_dtype_name(t) == s) {
      out = t;
      return true;
    }
  }
  return false;
}

int64_t StTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

struct SafetensorsReader::Mapping {
  std::string file;
  void* base = MAP_FAILED;
  size_t size = 0;
  ~Mapping() {
    if (base != MAP_FAILED && size > 0) ::munmap(base, size);
  }
};

SafetensorsReader::SafetensorsReader(const fs::path& path) : path_(path) {
  fs::path p = path;
  if (fs::is_directory(p)) {
    if (fs::exists(p / "model.safetensors.index.json")) {
      p = p / "model.safetensors.index.json";
    } else if (fs::exists(p / "model.safetensors")) {
      p = p / "model.safetensors";
    } else {
      fail_input("{}: no model.safetensors or model.safetensors.index.json in this directory",
                 path.string());
    }
  }
  if (p.extension() == ".json") {
    Json idx = parse_json(read_file(p), p.string());
    if (!idx.is_object() || !idx.contains("weight_map") || !idx["weight_map"].is_object())
      fail_input("{}: expected an object with a \"weight_map\" object", p.string());
    std::set<std::string> shards;
    for (auto& [name, f] : idx["weight_map"].items()) {
      if (!f.is_string()) fail_input("{}: weight_map[\"{}\"]: expected a file name", p.string(), name);
      shards.insert(f.get<std::string>());
    }
    for (const auto& s : shards) open_file(p.parent_path() / s);
    for (auto& [name, f] : idx["weight_map"].items()) {
      if (!tensors_.count(name))
        fail_input("{}: tensor {} is listed in the index but missing from {}", p.string(), name,
                   f.get<std::string>());
    }
  } else {
    open_file(p);
  }
}

SafetensorsReader::~SafetensorsReader() = default;

void SafetensorsReader::open_file(const fs::path& file) {
  auto m = std::make_unique<Mapping>();
  m->file = file.string();
  int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) fail_input("{}: cannot open: {}", file.string(), std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail_input("{}: cannot stat: {}", file.string(), std::strerror(errno));
  }
  m->size = static_cast<size_t>(st.st_size);
  if (m->size < 8) {
    ::close(fd);
    fail_input("{}: truncated safetensors file ({} bytes, expected at least an 8-byte header length)",
               file.string(), m->size);
  }
  m->base = ::mmap(nullptr, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m->base == MAP_FAILED) fail("{}: cannot mmap: {}", file.string(), std::strerror(errno));
  const auto* bytes = static_cast<const unsigned char*>(m->base);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | bytes[i];
  if (hlen > m->size - 8)
    fail_input("{}: truncated or not a safetensors file (header length {} exceeds file size {})",
               file.string(), hlen, m->size);
  Json header = parse_json(std::string_view(reinterpret_cast<const char*>(bytes + 8), hlen),
                           file.string() + ": safetensors header");
  if (!header.is_object()) fail_input("{}: safetensors header is not a JSON object", file.string());
  struct Range {
    uint64_t begin, end;
    std::string name;
  };
  std::vector<Range> ranges;
  const size_t data_start = 8 + hlen;
  const size_t data_size = m->size - data_start;
  for (auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (metadata_.empty() && info.is_object()) {
        for (auto& [k, v] : info.items())
          if (v.is_string()) metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    StTensor t;
    t.name = name;
    t.file = m->file;
    if (!info.is_object() || !info.contains("dtype") || !info["dtype"].is_string() ||
        !info.contains("shape") || !info["shape"].is_array() || !info.contains("data_offsets") ||
        !info["data_offsets"].is_array() || info["data_offsets"].size() != 2)
      fail_input("{}: tensor {}: expected {{\"dtype\", \"shape\", \"data_offsets\": [begin, end]}}",
                 file.string(), name);
    std::string dt = info["dtype"].get<std::string>();
    if (!parse_dtype(dt, t.dtype))
      fail_input("{}: tensor {}: unsupported dtype {} (supported: F32, F16, BF16, F64, I64, I32, I8, U8)",
                 file.string(), name, dt);
    uint64_t numel = 1;
    for (const auto& d : info["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        fail_input("{}: tensor {}: shape must be non-negative integers", file.string(), name);
      const auto n = static_cast<uint64_t>(d.get<int64_t>());
      if (n != 0 && numel > (uint64_t(1) << 62) / n)
        fail_input("{}: tensor {}: shape {} has more elements than any file can hold", file.string(), name,
                   info["shape"].dump());
      numel *= n;
      t.shape.push_back(d.get<int64_t>());
    }
    const auto& off = info["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      fail_input("{}: tensor {}: data_offsets must be non-negative integers", file.string(), name);
    uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    if (e < b) fail_input("{}: tensor {}: data_offsets end < begin", file.string(), name);
    if (e > data_size)
      fail_input("{}: truncated file: tensor {} ends at byte {} of the data section but only {} bytes "
                 "are present",
                 file.string(), name, e, data_size);
    t.nbytes = e - b;
    if (static_cast<uint64_t>(t.numel()) * st_dtype_size(t.dtype) != t.nbytes)
      fail_input("{}: tensor {}: {} bytes do not match shape and dtype {} ({} bytes expected)",
                 file.string(), name, t.nbytes, dt, t.numel() * st_dtype_size(t.dtype));
    t.data = bytes + data_start + b;
    if (e > b) ranges.push_back({b, e, name});
    if (tensors_.count(name)) fail_input("{}: tensor {} appears twice", file.string(), name);
    tensors_.emplace(name, std::move(t));
  }
  // Two tensors sharing bytes would alias each other's weights (and a writer never produces it).
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].begin < ranges[i - 1].end)
      fail_input("{}: tensors {} and {} overlap in the data section (bytes [{}, {}) and [{}, {}))", file.string(),
                 ranges[i - 1].name, ranges[i].name, ranges[i - 1].begin, ranges[i - 1].end, ranges[i].begin,
                 ranges[i].end);
  maps_.push_back(std::move(m));
}

bool SafetensorsReader::has(const std::string& name) const { return tensors_.count(name) > 0; }

const StTensor& SafetensorsReader::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail_input("{}: tensor {} not found", path_.string(), name);
  return it->second;
}

static std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

const StTensor& SafetensorsReader::get(const std::string& name,
                                       const std::vector<int64_t>& shape) const {
  const StTensor& t = get(name);
  if (t.shape != shape)
    fail_input("{}: tensor {} has shape {}, expected {}", t.file, name, shape_str(t.shape),
               shape_str(shape));
  return t;
}

std::vector<std::string> SafetensorsReader::names() const {
  std::vector<std::string> r;
  for (const auto& [n, t] : tensors_) r.push_back(n);
  return r;
}

size_t SafetensorsReader::mapped_bytes() const {
  size_t n = 0;
  for (const auto& m : maps_) n += m->size;
  return n;
}

// ---- writer ----

void SafetensorsWriter::check_new(const std::string& name, StDType dtype,
                                  const std::vector<int64_t>& shape, size_t nbytes) const {
  if (name.empty() || name == "__metadata__") fail_input("safetensors: invalid tensor name '{}'", name);
  if (tensors_.count(name)) fail_input("safetensors: tensor {} added twice", name);
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) fail_input("safetensors: tensor {}: negative dimension", name);
    n *= static_cast<uint64_t>(d);
  }
  if (n * st_dtype_size(dtype) != nbytes)
    fail_input("safetensors: tensor {}: {} bytes given, shape {} of {} needs {}", name, nbytes,
               shape_str(shape), st_dtype_name(dtype), n * st_dtype_size(dtype));
}

void SafetensorsWriter::add(const std::string& name, StDType dtype, std::vector<int64_t> shape,
                            const void* data, size_t nbytes) {
  check_new(name, dtype, shape, nbytes);
  Entry e{dtype, std::move(shape), std::string(static_cast<const char*>(data), nbytes), nullptr,
          nbytes};
  tensors_.emplace(name, std::move(e));
}

void SafetensorsWriter::add_ref(const std::string& name, StDType dtype, std::vector<int64_t> shape,
                                const void* data, size_t nbytes) {
  check_new(name, dtype, shape, nbytes);
  Entry e{dtype, std::move(shape), std::string(), data, nbytes};
  tensors_.emplace(name, std::move(e));
}

void SafetensorsWriter::add_f32(const std::string& name, std::vector<int64_t> shape,
                                const float* data) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  add(name, StDType::F32, std::move(shape), data, n * sizeof(float));
}

void SafetensorsWriter::write(const fs::path& path) const {
  Json header = Json::object();
  if (!metadata_.empty()) {
    Json md = Json::object();
    for (const auto& [k, v] : metadata_) md[k] = v;
    header["__metadata__"] = md;
  }
  uint64_t off = 0;
  for (const auto& [name, e] : tensors_) {
    header[name] = {{"dtype", st_dtype_name(e.dtype)},
                    {"shape", e.shape},
                    {"data_offsets", {off, off + e.nbytes}}};
    off += e.nbytes;
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');
  std::string len(8, '\0');
  uint64_t hl = h.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((hl >> (8 * i)) & 0xff);
  AtomicFile f(path);
  f.write(len);
  f.write(h);
  for (const auto& [name, e] : tensors_) {
    if (e.ref)
      f.write(std::string_view(static_cast<const char*>(e.ref), e.nbytes));
    else
      f.write(e.bytes);
  }
  f.commit();
}

}  // namespace lw::io
