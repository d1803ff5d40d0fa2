// The decode thread pool: every index covered exactly once for any loop size and team size, loops
// back to back (the caller and workers racing for chunks), nested loops run serially, resizing.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "util/thread_pool.hpp"

TEST(ThreadPool, CoversEveryIndexOnceForAnySizes) {
  for (int threads : {1, 2, 3, 5}) {
    lw::ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 7, 16, 100, 1001}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      for (int rep = 0; rep < 50; ++rep) {
        pool.parallel_for(n, [&](int64_t b, int64_t e) {
          ASSERT_LE(0, b);
          ASSERT_LT(b, e);
          ASSERT_LE(e, n);
          for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
        });
      }
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 50) << "n=" << n << " threads=" << threads;
    }
  }
}

TEST(ThreadPool, NestedLoopsRunSeriallyAndWhole) {
  lw::ThreadPool pool(2);
  std::atomic<int> outer{0}, inner{0};
  for (int rep = 0; rep < 20; ++rep)
    pool.parallel_for(256, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        outer.fetch_add(1);
        // a loop inside a loop runs on the calling thread, whole
        pool.parallel_for(4, [&](int64_t b2, int64_t e2) { inner.fetch_add(static_cast<int>(e2 - b2)); });
      }
      volatile double x = 0;  // a little work so both threads get chunks
      for (int k = 0; k < 20000; ++k) x = x + k;
    });
  EXPECT_EQ(outer.load(), 20 * 256);
  EXPECT_EQ(inner.load(), 20 * 256 * 4);
}

TEST(ThreadPool, ResizeKeepsWorking) {
  lw::ThreadPool pool(3);
  for (int threads : {1, 4, 2, 2, 1, 3}) {
    pool.resize(threads);
    EXPECT_EQ(pool.size(), threads);
    std::atomic<int64_t> sum{0};
    pool.parallel_for(1000, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) sum.fetch_add(i);
    });
    EXPECT_EQ(sum.load(), 999 * 1000 / 2);
  }
}
