// The vector ops (ops.inc) of the avx2 level, over cpu/vec_avx2.inc.
#define LW_VEC_INC "cpu/vec_avx2.inc"
#define LW_FILL_OPS fill_ops_avx2
#include "kernels/ops.inc"
