// io::prefault / touch_pages read every page of a range and nothing beyond it: the page after the
// range is PROT_NONE, so reading one byte too far kills the test.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "io/prefault.hpp"

TEST(Prefault, ReadsTheRangeAndNothingBeyondIt) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* m = ::mmap(nullptr, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  auto* base = static_cast<unsigned char*>(m);
  std::memset(base, 7, 3 * page);
  ASSERT_EQ(::mprotect(base + 3 * page, page, PROT_NONE), 0);  // the guard page
  // Unaligned starts, ends exactly at the guard page, a range within one page, empty ranges.
  for (size_t start : {size_t{0}, size_t{1}, page - 1, page, 2 * page + 5}) {
    const size_t n = 3 * page - start;
    lw::io::touch_pages(base + start, n);
    lw::io::prefault(base + start, n);
  }
  lw::io::touch_pages(base + 10, 20);
  lw::io::touch_pages(base, 0);
  lw::io::prefault(nullptr, 100);
  // The pages are resident afterwards.
  std::vector<unsigned char> resident(3);
  ASSERT_EQ(::mincore(base, 3 * page, resident.data()), 0);
  for (unsigned char r : resident) EXPECT_TRUE(r & 1);
  ::munmap(m, 4 * page);
}
