// gemm and gemm_supported: the GEMM entries of the level's kernel table.
#include "kernels/gemm.hpp"

#include "kernels/table.hpp"

namespace lw::kernels {

bool gemm_supported(DType t, cpu::Level level) {
  return kernels(level).of(t).gemm != nullptr;
}

bool gemm(DType t, const GemmArgs& a) {
  const GemmFn fn = kernels().of(t).gemm;
  return fn && fn(a);
}

}  // namespace lw::kernels
