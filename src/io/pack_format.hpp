#pragma once
// The native pack format the trainer reads (docs/packing.md has the full description).
//
// A pack is a directory:
//   manifest.json        what was packed and how (tokenizer fingerprint, chat format, max_len L,
//                        counts, skips, source file SHA-256s, the list of shards)
//   shard-00000.bin ...  rows of exactly L tokens, memory-mappable, little-endian
//
// A shard file: a 128-byte header, then five sections, each starting at a multiple of 64 bytes:
//   offset  size  field
//   0       8     magic "LWPACK\r\n"
//   8       4     u32 version (1)
//   12      4     u32 max_len L
//   16      8     u64 n_rows
//   24      8     u64 n_bounds (entries in the bounds section)
//   32      8     u64 tokens_offset   u32  (n_rows, L)  token ids, padding = manifest pad_id
//   40      8     u64 weights_offset  f32  (n_rows, L)  loss weight per position (0 off labels)
//   48      8     u64 labels_offset   u8   (n_rows, L)  1 = labelled (assistant/EOS) position
//   56      8     u64 rows_offset     RowInfo (n_rows): {u64 bounds_begin, u32 n_bounds, u32 n_seqs}
//   64      8     u64 bounds_offset   u32  (n_bounds)  every row's cu_seqlens, one after another
//   72      8     u64 file_size
// A row's cu_seqlens is [0, end_1, ..., end_k(, L)]: strictly increasing, from 0 to L; its first
// n_seqs segments are sequences, a final segment past them (when end_k < L) is padding.
//
// Label convention (also of labels_pack.npy): labels[i] = tokens[i] where position i is labelled,
// -100 elsewhere, unshifted — the trainer predicts labels[i+1] from position i.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::io {

inline constexpr int kPackVersion = 1;
inline constexpr int64_t kIgnoreLabel = -100;

struct PackTokenizerInfo {
  std::string fingerprint;
  std::string kind;  // "bpe" | "spm" | ...
  int32_t vocab_size = 0;
  int32_t bos_id = -1, eos_id = -1, pad_id = -1;
};

struct PackSource {
  std::string path;
  int64_t bytes = 0;
  std::string sha256;
};

struct PackShard {
  std::string file;
  int64_t rows = 0;
};

struct PackManifest {
  int version = kPackVersion;
  int64_t max_len = 0;
  std::string chat_format;
  std::string strategy;   // "nextfit" | "bfd"
  std::string weighting;  // "longalign" | "token" | "sequence"
  std::string overflow;   // "skip" | "truncate-right" | "truncate-left"
  uint64_t seed = 0;
  PackTokenizerInfo tokenizer;
  std::vector<PackSource> sources;

  // Counts (the writer fills rows/sequences/tokens; the packer fills conversations and skipped).
  int64_t conversations = 0;    // records read
  int64_t rows = 0;
  int64_t sequences = 0;
  int64_t real_tokens = 0;      // tokens of sequences (not padding)
  int64_t labelled_tokens = 0;
  int64_t padding_tokens = 0;
  int64_t truncated = 0;        // sequences cut to fit (truncate modes)
  std::map<std::string, int64_t> skipped;         // reason -> count
  std::map<int64_t, int64_t> seqs_per_row;        // sequences in a row -> rows
  std::vector<PackShard> shards;

  // Fraction of the pack area (rows * L) holding real tokens; 0 for an empty pack.
  double efficiency() const;
  nlohmann::json to_json() const;
  // InputError naming `where` and the field on a malformed manifest.
  static PackManifest from_json(const nlohmann::json& j, const std::string& where);
};

// One row, as given to the writer or returned by the reader (spans into the caller's buffers or
// into the memory-mapped shard).
struct PackRowView {
  std::span<const uint32_t> tokens;      // (L)
  std::span<const uint8_t> label_mask;   // (L) 1 = labelled
  std::span<const float> weights;        // (L)
  std::span<const uint32_t> cu_seqlens;  // (n_segments + 1)
  uint32_t n_seqs = 0;

  int64_t real_tokens() const { return n_seqs ? cu_seqlens[n_seqs] : 0; }
};

// An owned row, what the packer builds.
struct PackRow {
  std::vector<uint32_t> tokens;      // (L)
  std::vector<uint8_t> label_mask;   // (L)
  std::vector<float> weights;        // (L)
  std::vector<uint32_t> cu_seqlens;  // (n_segments + 1)
  uint32_t n_seqs = 0;

  PackRowView view() const { return {tokens, label_mask, weights, cu_seqlens, n_seqs}; }
};

// (L) the labels of a row: token where labelled, -100 elsewhere.
std::vector<int64_t> row_labels(const PackRowView& row);

// Checks a row's invariants for length L (boundaries from 0 to L, increasing; padding segment
// unlabelled with weight 0; at least one labelled token); throws lw::Error describing the first
// violation.
void validate_row(const PackRowView& row, int64_t max_len);

// Writes a pack directory. Rows are buffered per shard (rows_per_shard, by default as many as fit
// in 64 MiB), so memory stays bounded. An existing manifest.json and shard-*.bin files in `dir` are
// removed first; manifest.json is written last, so a directory with a manifest is complete.
class PackWriter {
 public:
  PackWriter(std::filesystem::path dir, PackManifest manifest, int64_t rows_per_shard = 0);
  ~PackWriter();
  PackWriter(const PackWriter&) = delete;
  PackWriter& operator=(const PackWriter&) = delete;

  void add_row(const PackRowView& row);  // validates the row
  PackManifest& manifest() { return manifest_; }
  // Writes the last shard and the manifest; returns the final manifest.
  const PackManifest& finish();

 private:
  void flush_shard();

  std::filesystem::path dir_;
  PackManifest manifest_;
  int64_t rows_per_shard_;
  struct Buffer;
  std::unique_ptr<Buffer> buf_;
  bool finished_ = false;
};

// Reads a pack directory: validates the manifest and memory-maps every shard.
class PackReader {
 public:
  explicit PackReader(const std::filesystem::path& dir);
  ~PackReader();
  PackReader(const PackReader&) = delete;
  PackReader& operator=(const PackReader&) = delete;

  const PackManifest& manifest() const { return manifest_; }
  int64_t max_len() const { return manifest_.max_len; }
  int64_t num_rows() const { return n_rows_; }
  PackRowView row(int64_t i) const;

 private:
  struct Shard;
  PackManifest manifest_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<int64_t> first_row_;  // (n_shards + 1) prefix sums
  int64_t n_rows_ = 0;
};

// The four reference files of the LongWriter pipeline, streamed row by row:
//   inputs_pack.npy  int64 (N, L)   labels_pack.npy int64 (N, L) (-100 off labels)
//   weights_pack.npy float32 (N, L) attention_masks_pack.json  [[0, end_1, ..., L], ...]
class ReferenceWriter {
 public:
  ReferenceWriter(const std::filesystem::path& dir, int64_t max_len);
  ~ReferenceWriter();
  ReferenceWriter(const ReferenceWriter&) = delete;
  ReferenceWriter& operator=(const ReferenceWriter&) = delete;

  void add_row(const PackRowView& row);
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lw::io
