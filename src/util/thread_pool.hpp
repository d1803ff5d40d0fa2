#pragma once
// A fixed team of threads for the short parallel loops of token-by-token decoding (a few hundred
// per token, tens of microseconds each). Waiting threads spin briefly, then sleep on a futex, so
// the team stays fast on an idle machine and does not starve other processes' threads on a shared
// one (OpenMP's default spin of ~300k iterations does: a 2-thread decode next to another 2-thread
// job ran 4x slower). The caller takes part in every loop; loops are not nested.
//
//   lw::ThreadPool::global().resize(2);
//   lw::ThreadPool::global().parallel_for(n_blocks, [&](int64_t b0, int64_t b1) { ... });
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace lw {

class ThreadPool {
 public:
  // The process-wide team (starts with one thread per core; engine::set_num_threads resizes it).
  static ThreadPool& global();

  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Total threads, the caller included (>= 1). Not while a loop runs.
  void resize(int threads);
  int size() const { return size_; }

  // Calls fn(begin, end) on consecutive chunks covering [0, n) and returns when all are done. The
  // chunks (several per thread) are claimed from a shared counter by whichever threads are
  // running, the caller included: a thread the OS has descheduled delays the loop by at most the
  // chunk it holds, not by its share. From one thread at a time; a loop called from inside a loop
  // runs serially.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

  // Spin iterations before a waiting thread sleeps (LW_POOL_SPIN overrides it, for measurements).
  static int spin_count();
  // sched_yield calls after the spin, before sleeping (LW_POOL_YIELD).
  static int yield_count();

 private:
  void worker(uint32_t start_epoch);  // runs loops started after start_epoch
  void stop_workers();

  int size_ = 1;
  std::vector<std::thread> workers_;
  void run_chunks();

  // A loop's parameters, in a small ring indexed by loop number: a thread that claims a chunk of
  // loop J (from state_) reads ring_[J % kRing]. `id` brackets the parameters like a sequence lock,
  // so a thread whose claim is from a loop long finished (its slot reused) sees that and stops.
  struct Loop {
    std::atomic<uint32_t> id{0};
    std::atomic<const std::function<void(int64_t, int64_t)>*> fn{nullptr};
    std::atomic<int64_t> n{0}, chunk{1}, nchunks{0};
    std::atomic<int64_t> done{0};  // chunks finished
  };
  static constexpr int kRing = 4;
  Loop ring_[kRing];
  std::atomic<uint64_t> state_{0};     // (loop number << 32) | next chunk to claim
  uint32_t loops_ = 0;                 // loops started (the caller's count)
  std::atomic<uint32_t> epoch_{0};     // bumped to wake sleeping workers (and to stop)
  std::atomic<int> sleepers_{0};       // workers asleep on epoch_
  std::atomic<bool> stop_{false};
  std::atomic<bool> busy_{false};      // a loop is running (nested calls run serially)
};

}  // namespace lw
