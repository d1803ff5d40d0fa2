#pragma once
// Shared by the fuzz targets (fuzz/README in docs/reliability.md). Every target feeds one input to
// a loader and accepts exactly one outcome besides success: lw::InputError. Anything else escaping
// (another exception, a signal, a sanitizer report) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace lw::fuzz {

// A scratch directory of this process (file loaders read paths, not bytes).
inline const std::filesystem::path& scratch_dir() {
  // Never destroyed, so the exit handler that removes it can still name it.
  static const std::filesystem::path* dir = [] {
    // tmpfs when there is one: some loaders' writers fsync, which costs little there.
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    auto* d = new std::filesystem::path(base / ("lw-fuzz-" + std::to_string(::getpid())));
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code e;
      std::filesystem::remove_all(scratch_dir(), e);
    });
    return d;
  }();
  return *dir;
}

inline std::filesystem::path write_scratch(const std::string& name, std::string_view bytes) {
  auto p = scratch_dir() / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p;
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs fn; InputError is the expected answer to a bad input and is swallowed.
template <typename F>
void expect_input_errors(F&& fn) {
  try {
    fn();
  } catch (const lw::InputError&) {
  }
}

}  // namespace lw::fuzz
