#pragma once
// SHA-256 (FIPS 180-4): source-file hashes in pack manifests, checkpoint manifests, row checksums.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace lw::io {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex();  // finalises; call once

 private:
  void block(const unsigned char* p);
  std::array<uint32_t, 8> h_{};
  unsigned char buf_[64]{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);
// Hashes a file in 1 MiB chunks; InputError naming the file if it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace lw::io
