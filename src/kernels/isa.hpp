#pragma once
// The fill functions of the kernel table (kernels/table.hpp), one per source: scalar.cpp, vec.cpp
// (portable) and every per-ISA source (*_<isa>.cpp, compiled for that ISA's target by
// cmake/modules.cmake's lw_add_isa_sources). Each overwrites the entries it has kernels for; `level`
// is the level of the table being built (at least the source's own), for sources that choose among
// sub-levels (VNNI, BF16). kernels/table.cpp calls them in the order of its kFills list.
#include "cpu/features.hpp"

namespace lw::kernels {

struct KernelTable;

namespace isa {
void fill_scalar(KernelTable& t, cpu::Level level);      // scalar.cpp: reference decoders, matvec, quantizers
void fill_vec_scalar(KernelTable& t, cpu::Level level);  // vec.cpp: the plain vector ops

#if defined(__x86_64__) || defined(__i386__)
void fill_ops_avx2(KernelTable& t, cpu::Level level);         // ops_avx2.cpp
void fill_matvec_avx2(KernelTable& t, cpu::Level level);      // matvec_avx2.cpp
void fill_gemm_avx2(KernelTable& t, cpu::Level level);        // gemm_avx2.cpp
void fill_matvec_x16_avx2(KernelTable& t, cpu::Level level);  // matvec_x16_avx2.cpp: repacked types

void fill_ops_avx512(KernelTable& t, cpu::Level level);         // ops_avx512.cpp
void fill_matvec_avx512(KernelTable& t, cpu::Level level);      // matvec_avx512.cpp
void fill_gemm_avx512(KernelTable& t, cpu::Level level);        // gemm_avx512.cpp
void fill_matvec_x16_avx512(KernelTable& t, cpu::Level level);  // matvec_x16_avx512.cpp: repacked types
#elif defined(__aarch64__)
void fill_ops_neon(KernelTable& t, cpu::Level level);        // ops_neon.cpp
void fill_matvec_neon(KernelTable& t, cpu::Level level);     // matvec_neon.cpp
void fill_matvec_dotprod(KernelTable& t, cpu::Level level);  // matvec_dotprod.cpp
void fill_matvec_i8mm(KernelTable& t, cpu::Level level);     // matvec_i8mm.cpp
void fill_matvec_bf16(KernelTable& t, cpu::Level level);     // matvec_bf16.cpp
#endif
// gemm_rows.cpp (portable): a GEMM of the quantized types from the table's multi-row matvec kernels
// (the aarch64 levels' GEMM).
void fill_gemm_rows(KernelTable& t, cpu::Level level);
// x16_fallback.cpp (portable, last): the repacked types' kernels where a level has none of its own.
void fill_x16_fallback(KernelTable& t, cpu::Level level);
}  // namespace isa

}  // namespace lw::kernels
