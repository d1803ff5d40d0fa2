#pragma once
// A temporary on-disk store of tokenized sequences (ids as u32, then label flags as u8), so that
// packing 200k conversations holds only a 16-byte index entry per sequence in memory.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace lw::data {

class SequenceSpool {
 public:
  struct Entry {
    uint64_t offset;
    uint32_t length;
    uint32_t n_labelled;
  };

  explicit SequenceSpool(std::filesystem::path path);  // created empty; removed by the destructor
  ~SequenceSpool();
  SequenceSpool(const SequenceSpool&) = delete;
  SequenceSpool& operator=(const SequenceSpool&) = delete;

  void append(const std::vector<uint32_t>& ids, const std::vector<uint8_t>& labels, int64_t n_labelled);
  // Ends writing; reads are allowed afterwards.
  void seal();
  void read(size_t i, std::vector<uint32_t>& ids, std::vector<uint8_t>& labels) const;

  size_t size() const { return index_.size(); }
  const Entry& entry(size_t i) const { return index_[i]; }
  std::vector<uint32_t> lengths() const;

 private:
  std::filesystem::path path_;
  std::FILE* out_ = nullptr;
  int fd_ = -1;
  uint64_t offset_ = 0;
  std::vector<Entry> index_;
};

}  // namespace lw::data
