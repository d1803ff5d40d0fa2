#pragma once
// The one place where the project's file writers report a failed write, and the fault hook the
// durability tests use: with LW_FAULT_ENOSPC_AFTER_BYTES=N in the environment, every write through
// write_bytes() fails with ENOSPC once the process has written N bytes in all (docs/reliability.md).
// A full disk is bad input, not a bug: InputError (exit 2) naming the file and the bytes it needed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace lw::io {

// Writes n bytes to f (a stdio stream) or fails: ENOSPC (real or injected) with one clear message,
// any other errno with its text.
void write_bytes(std::FILE* f, const void* data, size_t n, const std::filesystem::path& file);
// Writes n bytes to a descriptor (retrying short writes) or fails as write_bytes does.
void write_fd(int fd, const void* data, size_t n, const std::filesystem::path& file);
// Throws the error of a write of `needed` bytes to `file` that failed with errno `err`.
[[noreturn]] void fail_write(const std::filesystem::path& file, int err, size_t needed);
// Fails early, before anything is written, when the filesystem of `dir` has fewer than `needed`
// bytes free: InputError naming what (the output) with both numbers. Silent where the free space
// cannot be read.
void check_free_space(const std::filesystem::path& dir, uint64_t needed, const std::string& what);
// Bytes written through write_bytes/write_fd by this process (what the fault hook counts).
size_t bytes_written();

}  // namespace lw::io
