#include "util/thread_pool.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstdlib>

namespace lw {

namespace {
#if defined(__x86_64__) || defined(__i386__)
inline void relax() { _mm_pause(); }
#elif defined(__aarch64__)
inline void relax() { asm volatile("yield"); }
#else
inline void relax() {}
#endif
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
    // The claim carries the loop it belongs to; acquiring it makes that loop's parameters visible.
    const uint64_t claim = state_.fetch_add(1, std::memory_order_acq_rel);
    const uint32_t loop = static_cast<uint32_t>(claim >> 32);
    Loop& L = ring_[loop % kRing];
    if (L.id.load(std::memory_order_acquire) != loop) return;
    const int64_t c = static_cast<int64_t>(claim & 0xffffffffu);
    const int64_t nchunks = L.nchunks.load(std::memory_order_relaxed), chunk = L.chunk.load(std::memory_order_relaxed);
    const int64_t n = L.n.load(std::memory_order_relaxed);
    const auto* fn = L.fn.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (L.id.load(std::memory_order_relaxed) != loop || c >= nchunks) return;  // slot reused, or no chunk left
    const int64_t b = c * chunk;
    (*fn)(b, std::min(n, b + chunk));
    if (L.done.fetch_add(1, std::memory_order_acq_rel) + 1 == nchunks) L.done.notify_one();
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
  const uint32_t id = ++loops_ == 0 ? ++loops_ : loops_;  // 0 marks a slot being written
  Loop& L = ring_[id % kRing];
  const int64_t chunk = (n + want - 1) / want, nchunks = (n + chunk - 1) / chunk;
  L.id.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  L.fn.store(&fn, std::memory_order_relaxed);
  L.n.store(n, std::memory_order_relaxed);
  L.chunk.store(chunk, std::memory_order_relaxed);
  L.nchunks.store(nchunks, std::memory_order_relaxed);
  L.done.store(0, std::memory_order_relaxed);
  L.id.store(id, std::memory_order_release);
  state_.store(static_cast<uint64_t>(id) << 32, std::memory_order_release);  // publish the loop
  epoch_.fetch_add(1, std::memory_order_release);
  if (sleepers_.load() > 0) epoch_.notify_all();
  run_chunks();
  // wait for chunks other threads still hold: spin a little, then sleep
  const int spin = spin_count(), yields = yield_count();
  int64_t d = L.done.load(std::memory_order_acquire);
  for (int i = 0; d < nchunks && i < spin; ++i) {
    relax();
    d = L.done.load(std::memory_order_acquire);
  }
  for (int i = 0; d < nchunks && i < yields; ++i) {
    std::this_thread::yield();
    d = L.done.load(std::memory_order_acquire);
  }
  while (d < nchunks) {
    L.done.wait(d, std::memory_order_acquire);
    d = L.done.load(std::memory_order_acquire);
  }
  busy_.store(false);
}

}  // namespace lw
