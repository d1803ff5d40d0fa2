#include "io/pack_format.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/cu_seqlens.hpp"
#include "io/file.hpp"
#include "io/json_read.hpp"
#include "io/npy.hpp"
#include "util/error.hpp"

namespace lw::io {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr char kMagic[8] = {'L', 'W', 'P', 'A', 'C', 'K', '\r', '\n'};
constexpr size_t kHeaderSize = 128;
constexpr int64_t kShardBytes = int64_t(64) << 20;

struct RowInfo {
  uint64_t bounds_begin;
  uint32_t n_bounds;
  uint32_t n_seqs;
};
static_assert(sizeof(RowInfo) == 16);

struct Header {
  uint32_t version = 0, max_len = 0;
  uint64_t n_rows = 0, n_bounds = 0;
  uint64_t tokens_off = 0, weights_off = 0, labels_off = 0, rows_off = 0, bounds_off = 0;
  uint64_t file_size = 0;
};

uint64_t align64(uint64_t x) { return (x + 63) / 64 * 64; }

template <typename T>
void put(std::string& s, size_t off, T v) {
  std::memcpy(s.data() + off, &v, sizeof(T));
}
template <typename T>
T get(const unsigned char* p, size_t off) {
  T v;
  std::memcpy(&v, p + off, sizeof(T));
  return v;
}

std::string shard_name(size_t i) { return fmt::format("shard-{:05d}.bin", i); }

PackManifest manifest_from_json(const json& j, const std::string& where);

}  // namespace

double PackManifest::efficiency() const {
  if (rows == 0 || max_len == 0) return 0.0;
  return static_cast<double>(real_tokens) / static_cast<double>(rows * max_len);
}

json PackManifest::to_json() const {
  json j;
  j["kind"] = "longwriter-pack";
  j["version"] = version;
  j["max_len"] = max_len;
  j["chat_format"] = chat_format;
  j["strategy"] = strategy;
  j["weighting"] = weighting;
  j["overflow"] = overflow;
  j["seed"] = seed;
  j["tokenizer"] = {{"fingerprint", tokenizer.fingerprint}, {"kind", tokenizer.kind},
                    {"vocab_size", tokenizer.vocab_size}, {"bos_id", tokenizer.bos_id},
                    {"eos_id", tokenizer.eos_id}, {"pad_id", tokenizer.pad_id}};
  j["sources"] = json::array();
  for (const auto& s : sources)
    j["sources"].push_back({{"path", s.path}, {"bytes", s.bytes}, {"sha256", s.sha256}});
  j["counts"] = {{"conversations", conversations}, {"rows", rows}, {"sequences", sequences},
                 {"real_tokens", real_tokens}, {"labelled_tokens", labelled_tokens},
                 {"padding_tokens", padding_tokens}, {"truncated", truncated}};
  j["efficiency"] = efficiency();
  j["skipped"] = json::object();
  for (const auto& [k, v] : skipped) j["skipped"][k] = v;
  j["seqs_per_row"] = json::object();
  for (const auto& [k, v] : seqs_per_row) j["seqs_per_row"][std::to_string(k)] = v;
  j["shards"] = json::array();
  for (const auto& s : shards) j["shards"].push_back({{"file", s.file}, {"rows", s.rows}});
  return j;
}

PackManifest PackManifest::from_json(const json& j, const std::string& where) {
  return with_json_errors(where, [&] { return manifest_from_json(j, where); });
}

namespace {

PackManifest manifest_from_json(const json& j, const std::string& where) {
  auto need = [&](const json& obj, const char* key, const char* ctx) -> const json& {
    if (!obj.is_object() || !obj.contains(key))
      fail_input("{}: missing field \"{}{}\"", where, ctx, key);
    return obj.at(key);
  };
  auto get_int = [&](const json& obj, const char* key, const char* ctx) -> int64_t {
    const json& v = need(obj, key, ctx);
    if (!v.is_number_integer()) fail_input("{}: field \"{}{}\": expected integer", where, ctx, key);
    return v.get<int64_t>();
  };
  auto get_str = [&](const json& obj, const char* key, const char* ctx) -> std::string {
    const json& v = need(obj, key, ctx);
    if (!v.is_string()) fail_input("{}: field \"{}{}\": expected string", where, ctx, key);
    return v.get<std::string>();
  };
  if (!j.is_object() || j.value("kind", "") != "longwriter-pack")
    fail_input("{}: not a longwriter pack manifest (expected \"kind\": \"longwriter-pack\")", where);
  PackManifest m;
  m.version = static_cast<int>(get_int(j, "version", ""));
  if (m.version != kPackVersion)
    fail_input("{}: pack version {} is not supported (expected {})", where, m.version, kPackVersion);
  m.max_len = get_int(j, "max_len", "");
  if (m.max_len <= 0 || m.max_len > (int64_t(1) << 31))
    fail_input("{}: field \"max_len\": expected a positive length, got {}", where, m.max_len);
  m.chat_format = get_str(j, "chat_format", "");
  m.strategy = get_str(j, "strategy", "");
  m.weighting = get_str(j, "weighting", "");
  m.overflow = j.contains("overflow") ? get_str(j, "overflow", "") : "skip";
  if (j.contains("seed")) {
    if (!j.at("seed").is_number_unsigned()) fail_input("{}: field \"seed\": expected an integer >= 0", where);
    m.seed = j.at("seed").get<uint64_t>();
  }
  const json& t = need(j, "tokenizer", "");
  m.tokenizer.fingerprint = get_str(t, "fingerprint", "tokenizer.");
  m.tokenizer.kind = t.contains("kind") ? get_str(t, "kind", "tokenizer.") : "";
  const int64_t vocab = get_int(t, "vocab_size", "tokenizer.");
  if (vocab <= 0 || vocab > INT32_MAX)
    fail_input("{}: field \"tokenizer.vocab_size\": expected a size in [1, 2^31), got {}", where, vocab);
  m.tokenizer.vocab_size = static_cast<int32_t>(vocab);
  auto token_id = [&](const char* key, bool required) -> int32_t {
    if (!required && !t.contains(key)) return -1;
    const int64_t id = get_int(t, key, "tokenizer.");
    if (id < -1 || id >= vocab)
      fail_input("{}: field \"tokenizer.{}\": {} is outside the vocabulary of {}", where, key, id, vocab);
    return static_cast<int32_t>(id);
  };
  m.tokenizer.bos_id = token_id("bos_id", false);
  m.tokenizer.eos_id = token_id("eos_id", false);
  m.tokenizer.pad_id = token_id("pad_id", true);
  if (j.contains("sources")) {
    for (const auto& s : j.at("sources"))
      m.sources.push_back({get_str(s, "path", "sources[]."), get_int(s, "bytes", "sources[]."),
                           get_str(s, "sha256", "sources[].")});
  }
  const json& c = need(j, "counts", "");
  m.conversations = c.contains("conversations") ? get_int(c, "conversations", "counts.") : 0;
  m.rows = get_int(c, "rows", "counts.");
  m.sequences = get_int(c, "sequences", "counts.");
  m.real_tokens = get_int(c, "real_tokens", "counts.");
  m.labelled_tokens = get_int(c, "labelled_tokens", "counts.");
  m.padding_tokens = get_int(c, "padding_tokens", "counts.");
  m.truncated = c.contains("truncated") ? get_int(c, "truncated", "counts.") : 0;
  for (const auto& [name, v] : std::initializer_list<std::pair<const char*, int64_t>>{
           {"rows", m.rows}, {"sequences", m.sequences}, {"real_tokens", m.real_tokens},
           {"labelled_tokens", m.labelled_tokens}, {"padding_tokens", m.padding_tokens}})
    if (v < 0) fail_input("{}: field \"counts.{}\": expected a count >= 0, got {}", where, name, v);
  if (m.tokenizer.vocab_size <= 0)
    fail_input("{}: field \"tokenizer.vocab_size\": expected a positive size", where);
  if (j.contains("skipped") && j.at("skipped").is_object())
    for (const auto& [k, v] : j.at("skipped").items()) m.skipped[k] = get_int(j.at("skipped"), k.c_str(), "skipped.");
  if (j.contains("seqs_per_row") && j.at("seqs_per_row").is_object())
    for (const auto& [k, v] : j.at("seqs_per_row").items()) {
      if (k.empty() || k.size() > 9 || k.find_first_not_of("0123456789") != std::string::npos)
        fail_input("{}: field \"seqs_per_row\": key \"{}\" is not a sequence count", where, k);
      m.seqs_per_row[std::stoll(k)] = get_int(j.at("seqs_per_row"), k.c_str(), "seqs_per_row.");
    }
  const json& sh = need(j, "shards", "");
  if (!sh.is_array()) fail_input("{}: field \"shards\": expected array", where);
  for (const auto& s : sh) {
    PackShard ps{get_str(s, "file", "shards[]."), get_int(s, "rows", "shards[].")};
    if (ps.rows < 0) fail_input("{}: field \"shards[].rows\": expected a count >= 0, got {}", where, ps.rows);
    if (ps.file.find('/') != std::string::npos || ps.file.find("..") != std::string::npos)
      fail_input("{}: shard file name \"{}\" must be a plain file name", where, ps.file);
    m.shards.push_back(ps);
  }
  return m;
}

}  // namespace

std::vector<int64_t> row_labels(const PackRowView& row) {
  std::vector<int64_t> out(row.tokens.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = row.label_mask[i] ? static_cast<int64_t>(row.tokens[i]) : kIgnoreLabel;
  return out;
}

void validate_row(const PackRowView& row, int64_t max_len) {
  auto L = static_cast<size_t>(max_len);
  if (row.tokens.size() != L || row.label_mask.size() != L || row.weights.size() != L)
    fail("pack row: expected {} tokens, labels and weights, got {}, {}, {}", L, row.tokens.size(),
         row.label_mask.size(), row.weights.size());
  const auto& cu = row.cu_seqlens;
  if (const std::string e = cu_seqlens_error(std::span(cu), max_len); !e.empty()) fail("pack row: {}", e);
  size_t segments = cu.size() - 1;
  if (row.n_seqs == 0 || (row.n_seqs != segments && row.n_seqs + 1 != segments))
    fail("pack row: {} sequences do not match {} boundary segments", row.n_seqs, segments);
  bool any_label = false;
  for (size_t i = 0; i < L; ++i) {
    if (row.label_mask[i] > 1) fail("pack row: label mask value {} at {}", row.label_mask[i], i);
    if (!row.label_mask[i] && row.weights[i] != 0.0f)
      fail("pack row: non-zero weight on unlabelled position {}", i);
    any_label |= row.label_mask[i] != 0;
  }
  if (!any_label) fail("pack row: no labelled token");
}

// ---------------------------------------------------------------- writer

struct PackWriter::Buffer {
  std::vector<uint32_t> tokens;  // (rows, L)
  std::vector<float> weights;    // (rows, L)
  std::vector<uint8_t> labels;   // (rows, L)
  std::vector<RowInfo> rows;     // (rows)
  std::vector<uint32_t> bounds;  // (n_bounds)
};

PackWriter::PackWriter(fs::path dir, PackManifest manifest, int64_t rows_per_shard)
    : dir_(std::move(dir)), manifest_(std::move(manifest)), buf_(std::make_unique<Buffer>()) {
  LW_CHECK(manifest_.max_len > 0, "pack max_len must be positive");
  rows_per_shard_ = rows_per_shard > 0 ? rows_per_shard
                                       : std::max<int64_t>(1, kShardBytes / (9 * manifest_.max_len));
  manifest_.rows = manifest_.sequences = manifest_.real_tokens = 0;
  manifest_.labelled_tokens = manifest_.padding_tokens = 0;
  manifest_.seqs_per_row.clear();
  manifest_.shards.clear();
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) fail("cannot create pack directory {}: {}", dir_.string(), ec.message());
  fs::remove(dir_ / "manifest.json", ec);
  for (const auto& e : fs::directory_iterator(dir_)) {
    std::string n = e.path().filename().string();
    if (n.rfind("shard-", 0) == 0 && e.path().extension() == ".bin") fs::remove(e.path(), ec);
  }
}

PackWriter::~PackWriter() = default;

void PackWriter::add_row(const PackRowView& row) {
  LW_CHECK(!finished_, "add_row after finish");
  validate_row(row, manifest_.max_len);
  Buffer& b = *buf_;
  b.tokens.insert(b.tokens.end(), row.tokens.begin(), row.tokens.end());
  b.weights.insert(b.weights.end(), row.weights.begin(), row.weights.end());
  b.labels.insert(b.labels.end(), row.label_mask.begin(), row.label_mask.end());
  b.rows.push_back({b.bounds.size(), static_cast<uint32_t>(row.cu_seqlens.size()), row.n_seqs});
  b.bounds.insert(b.bounds.end(), row.cu_seqlens.begin(), row.cu_seqlens.end());
  manifest_.rows += 1;
  manifest_.sequences += row.n_seqs;
  int64_t real = row.real_tokens();
  manifest_.real_tokens += real;
  manifest_.padding_tokens += manifest_.max_len - real;
  for (uint8_t l : row.label_mask) manifest_.labelled_tokens += l;
  manifest_.seqs_per_row[row.n_seqs] += 1;
  if (static_cast<int64_t>(b.rows.size()) >= rows_per_shard_) flush_shard();
}

void PackWriter::flush_shard() {
  Buffer& b = *buf_;
  if (b.rows.empty()) return;
  const uint64_t n = b.rows.size(), L = static_cast<uint64_t>(manifest_.max_len);
  Header h;
  h.version = kPackVersion;
  h.max_len = static_cast<uint32_t>(L);
  h.n_rows = n;
  h.n_bounds = b.bounds.size();
  h.tokens_off = kHeaderSize;
  h.weights_off = align64(h.tokens_off + n * L * 4);
  h.labels_off = align64(h.weights_off + n * L * 4);
  h.rows_off = align64(h.labels_off + n * L);
  h.bounds_off = align64(h.rows_off + n * sizeof(RowInfo));
  h.file_size = h.bounds_off + h.n_bounds * 4;

  std::string head(kHeaderSize, '\0');
  std::memcpy(head.data(), kMagic, 8);
  put(head, 8, h.version);
  put(head, 12, h.max_len);
  put(head, 16, h.n_rows);
  put(head, 24, h.n_bounds);
  put(head, 32, h.tokens_off);
  put(head, 40, h.weights_off);
  put(head, 48, h.labels_off);
  put(head, 56, h.rows_off);
  put(head, 64, h.bounds_off);
  put(head, 72, h.file_size);

  std::string name = shard_name(manifest_.shards.size());
  io::AtomicFile f(dir_ / name);
  uint64_t pos = 0;
  auto section = [&](uint64_t off, const void* data, size_t bytes) {
    static const char zeros[64] = {};
    LW_CHECK(off >= pos && off - pos < 64, "shard layout");
    f.write(std::string_view(zeros, off - pos));
    f.write(std::string_view(static_cast<const char*>(data), bytes));
    pos = off + bytes;
  };
  f.write(head);
  pos = kHeaderSize;
  section(h.tokens_off, b.tokens.data(), b.tokens.size() * 4);
  section(h.weights_off, b.weights.data(), b.weights.size() * 4);
  section(h.labels_off, b.labels.data(), b.labels.size());
  section(h.rows_off, b.rows.data(), b.rows.size() * sizeof(RowInfo));
  section(h.bounds_off, b.bounds.data(), b.bounds.size() * 4);
  LW_CHECK(pos == h.file_size, "shard size");
  f.commit();
  manifest_.shards.push_back({name, static_cast<int64_t>(n)});
  *buf_ = Buffer{};
}

const PackManifest& PackWriter::finish() {
  LW_CHECK(!finished_, "finish twice");
  flush_shard();
  io::write_file_atomic(dir_ / "manifest.json", manifest_.to_json().dump(2) + "\n");
  finished_ = true;
  return manifest_;
}

// ---------------------------------------------------------------- reader

namespace {

// Every row's table entry and cu_seqlens against the shard's bounds section and the row length,
// before any row is handed out (docs/packing.md): a row table from a damaged or hostile file
// would otherwise index past the section into the next one, or past the mapping.
void check_row_table(const std::string& file, const Header& h, const unsigned char* base) {
  const auto* bounds = reinterpret_cast<const uint32_t*>(base + h.bounds_off);
  for (uint64_t r = 0; r < h.n_rows; ++r) {
    RowInfo info;
    std::memcpy(&info, base + h.rows_off + r * sizeof(RowInfo), sizeof(RowInfo));
    if (info.n_bounds < 2 || info.bounds_begin > h.n_bounds || info.n_bounds > h.n_bounds - info.bounds_begin)
      fail_input("{}: row {}: boundaries [{}, +{}) lie outside the {} entries of the bounds section", file, r,
                 info.bounds_begin, info.n_bounds, h.n_bounds);
    const uint64_t segments = info.n_bounds - 1;
    if (info.n_seqs == 0 || info.n_seqs > segments || info.n_seqs + 1 < segments)
      fail_input("{}: row {}: {} sequences do not fit {} boundary segments (expected {}{})", file, r, info.n_seqs,
                 segments, segments > 1 ? fmt::format("{} or ", segments - 1) : "", segments);
    const std::span<const uint32_t> cu(bounds + info.bounds_begin, info.n_bounds);
    if (const std::string e = cu_seqlens_error(cu, static_cast<int64_t>(h.max_len)); !e.empty())
      fail_input("{}: row {}: {}", file, r, e);
  }
}

}  // namespace

struct PackReader::Shard {
  void* map = nullptr;
  size_t size = 0;
  Header h;
  std::string file;
  const unsigned char* base() const { return static_cast<const unsigned char*>(map); }
  ~Shard() {
    if (map && map != MAP_FAILED) ::munmap(map, size);
  }
};

PackReader::PackReader(const fs::path& dir) {
  fs::path mpath = dir / "manifest.json";
  if (!fs::exists(mpath))
    fail_input("{}: not a pack directory (no manifest.json; was packing interrupted?)", dir.string());
  json j = io::parse_json(io::read_file(mpath), mpath.string());
  manifest_ = PackManifest::from_json(j, mpath.string());
  const uint64_t L = static_cast<uint64_t>(manifest_.max_len);
  first_row_.push_back(0);
  for (const auto& s : manifest_.shards) {
    fs::path p = dir / s.file;
    auto sh = std::make_unique<Shard>();
    sh->file = p.string();
    int fd = ::open(p.c_str(), O_RDONLY);
    if (fd < 0) fail_input("{}: cannot open shard: {}", p.string(), std::strerror(errno));
    struct stat st{};
    ::fstat(fd, &st);
    sh->size = static_cast<size_t>(st.st_size);
    if (sh->size < kHeaderSize) {
      ::close(fd);
      fail_input("{}: truncated shard ({} bytes)", p.string(), sh->size);
    }
    sh->map = ::mmap(nullptr, sh->size, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (sh->map == MAP_FAILED) fail("{}: cannot map shard: {}", p.string(), std::strerror(errno));
    const unsigned char* b = sh->base();
    if (std::memcmp(b, kMagic, 8) != 0) fail_input("{}: not a pack shard (bad magic)", p.string());
    Header& h = sh->h;
    h.version = get<uint32_t>(b, 8);
    h.max_len = get<uint32_t>(b, 12);
    h.n_rows = get<uint64_t>(b, 16);
    h.n_bounds = get<uint64_t>(b, 24);
    h.tokens_off = get<uint64_t>(b, 32);
    h.weights_off = get<uint64_t>(b, 40);
    h.labels_off = get<uint64_t>(b, 48);
    h.rows_off = get<uint64_t>(b, 56);
    h.bounds_off = get<uint64_t>(b, 64);
    h.file_size = get<uint64_t>(b, 72);
    if (h.version != kPackVersion) fail_input("{}: shard version {} unsupported", p.string(), h.version);
    if (h.max_len != L) fail_input("{}: shard max_len {} != manifest {}", p.string(), h.max_len, L);
    if (h.n_rows != static_cast<uint64_t>(s.rows))
      fail_input("{}: shard holds {} rows, manifest says {}", p.string(), h.n_rows, s.rows);
    if (h.file_size != sh->size)
      fail_input("{}: shard is {} bytes, header says {} (truncated?)", p.string(), sh->size, h.file_size);
    if (h.n_rows > h.file_size / (9 * L) || h.n_bounds > h.file_size / 4)
      fail_input("{}: corrupt shard header ({} rows of {} tokens and {} boundaries cannot fit in {} bytes)",
                 p.string(), h.n_rows, L, h.n_bounds, h.file_size);
    auto inside = [&](uint64_t off, uint64_t bytes, uint64_t align) {
      return off % align == 0 && off >= kHeaderSize && off <= h.file_size && bytes <= h.file_size - off;
    };
    if (!inside(h.tokens_off, h.n_rows * L * 4, 4) || !inside(h.weights_off, h.n_rows * L * 4, 4) ||
        !inside(h.labels_off, h.n_rows * L, 1) || !inside(h.rows_off, h.n_rows * sizeof(RowInfo), 8) ||
        !inside(h.bounds_off, h.n_bounds * 4, 4))
      fail_input("{}: corrupt shard header (section outside the file)", p.string());
    check_row_table(p.string(), h, b);
    n_rows_ += s.rows;
    first_row_.push_back(n_rows_);
    shards_.push_back(std::move(sh));
  }
  if (n_rows_ != manifest_.rows)
    fail_input("{}: shards hold {} rows, counts.rows says {}", mpath.string(), n_rows_, manifest_.rows);
}

PackReader::~PackReader() = default;

PackRowView PackReader::row(int64_t i) const {
  LW_CHECK(i >= 0 && i < n_rows_, "row {} out of range [0, {})", i, n_rows_);
  size_t s = static_cast<size_t>(std::upper_bound(first_row_.begin(), first_row_.end(), i) - first_row_.begin() - 1);
  const Shard& sh = *shards_[s];
  const uint64_t r = static_cast<uint64_t>(i - first_row_[s]);
  const size_t L = static_cast<size_t>(manifest_.max_len);
  const unsigned char* b = sh.base();
  const auto* info = reinterpret_cast<const RowInfo*>(b + sh.h.rows_off) + r;
  PackRowView v;
  v.tokens = {reinterpret_cast<const uint32_t*>(b + sh.h.tokens_off) + r * L, L};
  v.weights = {reinterpret_cast<const float*>(b + sh.h.weights_off) + r * L, L};
  v.label_mask = {b + sh.h.labels_off + r * L, L};
  v.cu_seqlens = {reinterpret_cast<const uint32_t*>(b + sh.h.bounds_off) + info->bounds_begin, info->n_bounds};
  v.n_seqs = info->n_seqs;
  // The row's contents, checked where they are used (a pass over L values, small next to any use).
  const auto vocab = static_cast<uint32_t>(manifest_.tokenizer.vocab_size);
  for (size_t k = 0; k < L; ++k) {
    if (v.tokens[k] >= vocab)
      fail_input("{}: row {}: token id {} at position {} is outside the vocabulary of {}", sh.file, r, v.tokens[k],
                 k, vocab);
    if (v.label_mask[k] > 1) fail_input("{}: row {}: label mask value {} at position {}", sh.file, r, v.label_mask[k], k);
    if (!(v.weights[k] >= 0.0f && v.weights[k] < 1e30f))
      fail_input("{}: row {}: loss weight {} at position {} is not a finite value >= 0", sh.file, r, v.weights[k], k);
  }
  return v;
}

// ---------------------------------------------------------------- reference files

struct ReferenceWriter::Impl {
  int64_t L;
  io::NpyWriter inputs, labels, weights;
  io::AtomicFile masks;
  bool first = true;
  std::vector<int64_t> scratch;
  Impl(const fs::path& dir, int64_t max_len)
      : L(max_len),
        inputs(dir / "inputs_pack.npy", io::NpyDtype::i8, {max_len}),
        labels(dir / "labels_pack.npy", io::NpyDtype::i8, {max_len}),
        weights(dir / "weights_pack.npy", io::NpyDtype::f4, {max_len}),
        masks(dir / "attention_masks_pack.json") {}
};

ReferenceWriter::ReferenceWriter(const fs::path& dir, int64_t max_len)
    : impl_(std::make_unique<Impl>(dir, max_len)) {
  impl_->masks.write("[");
}

ReferenceWriter::~ReferenceWriter() = default;

void ReferenceWriter::add_row(const PackRowView& row) {
  Impl& m = *impl_;
  LW_CHECK(static_cast<int64_t>(row.tokens.size()) == m.L, "reference row length");
  m.scratch.assign(row.tokens.begin(), row.tokens.end());
  m.inputs.append<int64_t>(m.scratch);
  m.scratch = row_labels(row);
  m.labels.append<int64_t>(m.scratch);
  m.weights.append<float>(row.weights);
  std::string line = m.first ? "\n[" : ",\n[";
  for (size_t i = 0; i < row.cu_seqlens.size(); ++i) {
    if (i) line += ", ";
    line += std::to_string(row.cu_seqlens[i]);
  }
  line += "]";
  m.masks.write(line);
  m.first = false;
}

void ReferenceWriter::commit() {
  Impl& m = *impl_;
  m.masks.write(m.first ? "]\n" : "\n]\n");
  m.inputs.commit();
  m.labels.commit();
  m.weights.commit();
  m.masks.commit();
}

}  // namespace lw::io
