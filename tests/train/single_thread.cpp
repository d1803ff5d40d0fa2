// The train tests run tiny problems: one compute thread by default avoids OpenMP/BLAS thread
// start-up and spin costs that dominate on a shared 2-core machine. The suite registers them a
// second time with LW_TEST_THREADS=2 (tests/train/CMakeLists.txt), so the per-thread reductions
// of the trainer's kernels run in the suite too.
#include <omp.h>

#include <algorithm>
#include <cstdlib>

namespace {
const bool kThreads = (omp_set_num_threads(std::getenv("LW_TEST_THREADS") ? std::max(1, std::atoi(std::getenv("LW_TEST_THREADS"))) : 1), true);
}  // namespace
