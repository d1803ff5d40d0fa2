#pragma once
// A small worker pool for the pipelines: N requests in flight, each worker calling the blocking,
// thread-safe ChatBackend::complete().
#include <cstddef>
#include <functional>

namespace lw::eval {

// Calls fn(i) for every i in [0, n) on min(workers, n) threads, handing out indices in order. If fn
// throws, no new indices are handed out, the running calls finish, and the first exception is
// rethrown here (per-item failures that should not stop the run must be caught inside fn).
void parallel_for(size_t n, int workers, const std::function<void(size_t)>& fn);

}  // namespace lw::eval
