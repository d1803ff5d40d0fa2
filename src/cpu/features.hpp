#pragma once
// The one place that asks the CPU what it can do. Every kernel family (quantized and float
// matrix-vector products, GEMM panels, attention, conversions, the trainer's vector kernels) picks
// its code path from `cpu::level()`, so one setting moves them all together.
//
// Levels of two families, one per architecture; each level implies scalar and the ones below it in
// its own family (implies()):
//   scalar        portable C++ (the reference of every kernel), every architecture
//   x86-64:
//   avx2          AVX2 + FMA + F16C (256-bit; integer dot products with vpmaddubsw/vpmaddwd)
//   avx512        AVX-512 F/BW/VL/DQ (512-bit float kernels; integer dots as on avx2)
//   avx512_vnni   + AVX512_VNNI (vpdpbusd integer dot products)
//   avx512_bf16   + AVX512_BF16 (vdpbf16ps bf16 dot products)
//   aarch64:
//   neon          ARMv8 Advanced SIMD (128-bit; integer dots with smull/sadalp)
//   dotprod       + FEAT_DotProd (sdot, ARMv8.2)
//   i8mm          + FEAT_I8MM (smmla 2x2 tiles for multi-row decode, ARMv8.6)
//   bf16          + FEAT_BF16 (bfdot bf16 dot products)
// The effective level is the highest the CPU supports, lowered by the environment variable
// LW_CPU=<level name> (tests and benchmarks force each path this way; a level above the CPU's, or
// of the other architecture, is replaced by the CPU's best with a warning).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lw::cpu {

enum class Level : int {
  scalar = 0,
  avx2 = 1,
  avx512 = 2,
  avx512_vnni = 3,
  avx512_bf16 = 4,
  neon = 5,
  dotprod = 6,
  i8mm = 7,
  bf16 = 8,
};
constexpr int kNumLevels = 9;

// Whether kernels built for level b run at level a: b is scalar, or b is a's family at or below a.
constexpr bool implies(Level a, Level b) {
  const int x = static_cast<int>(a), y = static_cast<int>(b);
  if (y == 0) return true;
  const bool arm_a = x >= static_cast<int>(Level::neon), arm_b = y >= static_cast<int>(Level::neon);
  return arm_a == arm_b && x >= y;
}

struct Features {
  // x86-64 (cpuid)
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avx512bf16 = false;
  // aarch64 (getauxval on Linux, sysctlbyname on macOS)
  bool neon = false, dotprod = false, i8mm = false, bf16 = false;
};

// What this CPU reports, read once.
const Features& detected();
// The highest level the CPU supports.
Level max_level();
// The level kernels use now: max_level() lowered by LW_CPU or set_level().
Level level();
inline bool at_least(Level l) {
  return implies(level(), l);
}
// Forces the level (replaced by max_level() where the CPU lacks it); returns the level in effect before.
// Tests and benchmarks only: not meant to change while kernels run on other threads.
Level set_level(Level l);

const char* level_name(Level l);  // "scalar", "avx2", ..., "neon", ...
std::optional<Level> parse_level(std::string_view name);
// scalar and max_level()'s family up to it: every level this machine can run, for tests that try
// each path.
std::vector<Level> supported_levels();
// One line for logs: "avx512_bf16 (cpu has AVX2 FMA F16C AVX512F/BW/VL/DQ VNNI BF16)".
std::string describe();

// Sets the level for the lifetime of the object, then restores the previous one (tests).
class ScopedLevel {
 public:
  explicit ScopedLevel(Level l) : prev_(set_level(l)) {}
  ~ScopedLevel() { set_level(prev_); }
  ScopedLevel(const ScopedLevel&) = delete;
  ScopedLevel& operator=(const ScopedLevel&) = delete;

 private:
  Level prev_;
};

}  // namespace lw::cpu
