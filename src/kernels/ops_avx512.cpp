// The vector ops (ops.inc) of the avx512 level, over cpu/vec_avx512.inc.
#define LW_VEC_INC "cpu/vec_avx512.inc"
#define LW_FILL_OPS fill_ops_avx512
#include "kernels/ops.inc"
