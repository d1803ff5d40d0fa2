// The train tests run tiny problems: one compute thread avoids OpenMP/BLAS thread start-up and
// spin costs that dominate on a shared 2-core machine (the threaded paths run in bench_train).
#include <omp.h>

namespace {
const bool kSingleThread = (omp_set_num_threads(1), true);
}  // namespace
