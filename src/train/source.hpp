#pragma once
// Where training rows come from: a pack directory (the native pack format, io/pack_format.hpp), or rows in memory.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "train/batch.hpp"

namespace lw::io {
class PackReader;
}

namespace lw::train {

class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual int64_t size() const = 0;
  virtual Row row(int64_t i) const = 0;
};

class VectorSource : public RowSource {
 public:
  explicit VectorSource(std::vector<Row> rows) : rows_(std::move(rows)) {}
  int64_t size() const override { return (int64_t)rows_.size(); }
  Row row(int64_t i) const override { return rows_.at(i); }

 private:
  std::vector<Row> rows_;
};

// Rows of a pack directory. The trailing padding segment of each row is dropped (it is never
// attended to and has no targets), so only real tokens are computed.
class PackSource : public RowSource {
 public:
  explicit PackSource(const std::filesystem::path& dir);
  ~PackSource() override;
  int64_t size() const override;
  Row row(int64_t i) const override;
  const io::PackReader& reader() const { return *reader_; }
  // Largest token id + 1 seen in the manifest's tokenizer (vocab size), 0 if unknown.
  int32_t vocab_size() const;

 private:
  std::unique_ptr<io::PackReader> reader_;
};

}  // namespace lw::train
