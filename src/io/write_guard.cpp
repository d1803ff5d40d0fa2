#include "io/write_guard.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/error.hpp"

namespace lw::io {

namespace {

std::atomic<size_t> g_written{0};

// LW_FAULT_ENOSPC_AFTER_BYTES, read once; SIZE_MAX when unset or not a number.
size_t fault_limit() {
  static const size_t limit = [] {
    const char* v = std::getenv("LW_FAULT_ENOSPC_AFTER_BYTES");
    if (!v || !*v) return SIZE_MAX;
    char* end = nullptr;
    unsigned long long n = std::strtoull(v, &end, 10);
    return (end && *end == '\0') ? static_cast<size_t>(n) : SIZE_MAX;
  }();
  return limit;
}

// How many of the next n bytes the fault hook lets through (n when it is off).
size_t allowed(size_t n) {
  const size_t limit = fault_limit();
  if (limit == SIZE_MAX) return n;
  size_t before = g_written.load();
  return before >= limit ? 0 : std::min(n, limit - before);
}

}  // namespace

size_t bytes_written() {
  return g_written.load();
}

void check_free_space(const std::filesystem::path& dir, uint64_t needed, const std::string& what) {
  struct statvfs st {};
  const std::filesystem::path where = dir.empty() ? std::filesystem::path(".") : dir;
  if (::statvfs(where.c_str(), &st) != 0 || st.f_blocks == 0) return;
  const uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  if (free_bytes < needed)
    fail_input(
        "{}: needs about {} bytes, but only {} are free on the filesystem of {}; free some space "
        "(the previous output is untouched)",
        what, needed, free_bytes, where.string());
}

void fail_write(const std::filesystem::path& file, int err, size_t needed) {
  if (err == ENOSPC || err == EDQUOT) {
    const std::string more =
        needed ? fmt::format(" ({} more bytes needed for this write alone)", needed) : "";
    fail_input(
        "{}: no space left on the device{}; free some space and rerun: the previous output is untouched",
        file.string(), more);
  }
  fail("cannot write {}: {}", file.string(), std::strerror(err));
}

void write_bytes(std::FILE* f, const void* data, size_t n, const std::filesystem::path& file) {
  if (n == 0) return;
  const size_t ok = allowed(n);
  const size_t done = ok ? std::fwrite(data, 1, ok, f) : 0;
  g_written += done;
  if (done != ok) fail_write(file, errno, n - done);
  if (ok < n) fail_write(file, ENOSPC, n - done);
}

void write_fd(int fd, const void* data, size_t n, const std::filesystem::path& file) {
  const char* p = static_cast<const char*>(data);
  size_t off = 0;
  while (off < n) {
    const size_t ok = allowed(n - off);
    if (ok == 0) fail_write(file, ENOSPC, n - off);
    ssize_t w = ::write(fd, p + off, ok);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail_write(file, w < 0 ? errno : ENOSPC, n - off);
    off += static_cast<size_t>(w);
    g_written += static_cast<size_t>(w);
  }
}

}  // namespace lw::io
