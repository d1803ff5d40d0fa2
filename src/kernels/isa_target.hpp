// Included last (after every other #include) by each per-ISA source, *_<isa>.cpp: the code after it
// is compiled for LW_ISA_TARGET, the GCC target string of the file's ISA, which cmake/modules.cmake's
// lw_add_isa_sources defines for the file. The headers before it keep their inline functions
// generic, so the copies the linker keeps run at every level. No include guard: once per source.
#ifndef LW_ISA_TARGET
#error "per-ISA source without LW_ISA_TARGET: name it *_<isa>.cpp in a module that calls lw_add_isa_sources"
#endif
// clang has no such pragma: cmake/modules.cmake gives it the aarch64 sources' -march instead.
#ifndef __clang__
#define LW_ISA_PRAGMA_STR(x) _Pragma(#x)
#define LW_ISA_PRAGMA(x) LW_ISA_PRAGMA_STR(x)
LW_ISA_PRAGMA(GCC target(LW_ISA_TARGET))
#endif
