#include "util/thread_pool.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>

namespace lw {

namespace {
inline void relax() { _mm_pause(); }
}  // namespace

int ThreadPool::spin_count() {
  static const int n = [] {
    const char* e = std::getenv("LW_POOL_SPIN");
    return e ? std::max(0, std::atoi(e)) : 1000;
  }();
  return n;
}

int ThreadPool::yield_count() {
  static const int n = [] {
    const char* e = std::getenv("LW_POOL_YIELD");
    return e ? std::max(0, std::atoi(e)) : 0;
  }();
  return n;
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return pool;
}

ThreadPool::ThreadPool(int threads) { resize(threads); }

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  stop_.store(true);
  epoch_.fetch_add(1);
  epoch_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  stop_.store(false);
}

void ThreadPool::resize(int threads) {
  threads = std::max(1, threads);
  if (threads == size_ && static_cast<int>(workers_.size()) == threads - 1) return;
  stop_workers();
  size_ = threads;
  const uint32_t start = epoch_.load();
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, start] { worker(start); });
}

void ThreadPool::run_chunks() {
  for (;;) {
    const int64_t c = next_.fetch_add(1, std::memory_order_acq_rel);
    if (c >= nchunks_) return;
    const int64_t b = c * chunk_;
    (*fn_)(b, std::min(n_, b + chunk_));
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == nchunks_) done_.notify_one();
  }
}

void ThreadPool::worker(uint32_t seen) {
  const int spin = spin_count(), yields = yield_count();
  for (;;) {
    // wait for the next loop: spin a little, then sleep
    uint32_t now = epoch_.load(std::memory_order_acquire);
    for (int i = 0; now == seen && i < spin; ++i) {
      relax();
      now = epoch_.load(std::memory_order_acquire);
    }
    for (int i = 0; now == seen && i < yields; ++i) {
      std::this_thread::yield();
      now = epoch_.load(std::memory_order_acquire);
    }
    while (now == seen && !stop_.load()) {
      sleepers_.fetch_add(1);
      epoch_.wait(seen, std::memory_order_acquire);
      sleepers_.fetch_sub(1);
      now = epoch_.load(std::memory_order_acquire);
    }
    seen = now;
    if (stop_.load()) return;
    run_chunks();
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  bool expected = false;
  if (size_ == 1 || n == 1 || !busy_.compare_exchange_strong(expected, true)) {
    fn(0, n);
    return;
  }
  // about 8 chunks per thread: small enough to rebalance around a descheduled thread
  const int64_t want = std::min<int64_t>(n, 8 * static_cast<int64_t>(size_));
  fn_ = &fn;
  n_ = n;
  chunk_ = (n + want - 1) / want;
  nchunks_ = (n + chunk_ - 1) / chunk_;
  done_.store(0, std::memory_order_relaxed);
  next_.store(0, std::memory_order_release);
  epoch_.fetch_add(1, std::memory_order_release);
  if (sleepers_.load() > 0) epoch_.notify_all();
  run_chunks();
  // wait for chunks other threads still hold: spin a little, then sleep
  const int spin = spin_count(), yields = yield_count();
  int64_t d = done_.load(std::memory_order_acquire);
  for (int i = 0; d < nchunks_ && i < spin; ++i) {
    relax();
    d = done_.load(std::memory_order_acquire);
  }
  for (int i = 0; d < nchunks_ && i < yields; ++i) {
    std::this_thread::yield();
    d = done_.load(std::memory_order_acquire);
  }
  while (d < nchunks_) {
    done_.wait(d, std::memory_order_acquire);
    d = done_.load(std::memory_order_acquire);
  }
  busy_.store(false);
}

}  // namespace lw
