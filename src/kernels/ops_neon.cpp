// The vector ops (ops.inc) of the aarch64 levels, over cpu/vec_neon.inc (every ARM level has them).
#define LW_VEC_INC "cpu/vec_neon.inc"
#define LW_FILL_OPS fill_ops_neon
#include "kernels/ops.inc"
