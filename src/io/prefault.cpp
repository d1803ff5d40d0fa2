#include "io/prefault.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14
#endif

namespace lw::io {

void prefault(const void* p, size_t n) {
  if (!p || n == 0) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(p) / page * page;
  const uintptr_t end = reinterpret_cast<uintptr_t>(p) + n;
  if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ) == 0) return;
  touch_pages(p, n);  // older kernels
}

void touch_pages(const void* p, size_t n) {
  if (!p || n == 0) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t end = reinterpret_cast<uintptr_t>(p) + n;
  volatile unsigned char sink = 0;
  for (uintptr_t a = reinterpret_cast<uintptr_t>(p); a < end; a = (a / page + 1) * page)
    sink = sink ^ *reinterpret_cast<const volatile unsigned char*>(a);
  (void)sink;
}

}  // namespace lw::io
