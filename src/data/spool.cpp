#include "data/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/write_guard.hpp"
#include "util/error.hpp"

namespace lw::data {

SequenceSpool::SequenceSpool(std::filesystem::path path) : path_(std::move(path)) {
  out_ = std::fopen(path_.c_str(), "wb");
  if (!out_) fail("cannot create {}: {}", path_.string(), std::strerror(errno));
}

SequenceSpool::~SequenceSpool() {
  if (out_) std::fclose(out_);
  if (fd_ >= 0) ::close(fd_);
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void SequenceSpool::append(const std::vector<uint32_t>& ids, const std::vector<uint8_t>& labels, int64_t n_labelled) {
  LW_CHECK(out_ != nullptr, "append to a sealed spool");
  LW_CHECK(ids.size() == labels.size(), "ids and labels differ in length");
  size_t n = ids.size();
  io::write_bytes(out_, ids.data(), 4 * n, path_);
  io::write_bytes(out_, labels.data(), n, path_);
  index_.push_back({offset_, static_cast<uint32_t>(n), static_cast<uint32_t>(n_labelled)});
  offset_ += 5 * n;
}

void SequenceSpool::seal() {
  LW_CHECK(out_ != nullptr, "seal twice");
  if (std::fclose(out_) != 0) {
    out_ = nullptr;
    io::fail_write(path_, errno, 0);
  }
  out_ = nullptr;
  fd_ = ::open(path_.c_str(), O_RDONLY);
  if (fd_ < 0) fail("cannot reopen {}: {}", path_.string(), std::strerror(errno));
}

void SequenceSpool::read(size_t i, std::vector<uint32_t>& ids, std::vector<uint8_t>& labels) const {
  LW_CHECK(fd_ >= 0, "read before seal");
  const Entry& e = index_.at(i);
  ids.resize(e.length);
  labels.resize(e.length);
  auto pread_all = [&](void* buf, size_t bytes, uint64_t off) {
    auto* p = static_cast<char*>(buf);
    while (bytes) {
      ssize_t r = ::pread(fd_, p, bytes, static_cast<off_t>(off));
      if (r <= 0) fail("cannot read {}: {}", path_.string(), r == 0 ? "unexpected end" : std::strerror(errno));
      p += r;
      bytes -= static_cast<size_t>(r);
      off += static_cast<uint64_t>(r);
    }
  };
  pread_all(ids.data(), 4 * size_t{e.length}, e.offset);
  pread_all(labels.data(), e.length, e.offset + 4 * uint64_t{e.length});
}

std::vector<uint32_t> SequenceSpool::lengths() const {
  std::vector<uint32_t> out;
  out.reserve(index_.size());
  for (const auto& e : index_) out.push_back(e.length);
  return out;
}

}  // namespace lw::data
