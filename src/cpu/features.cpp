#include "cpu/features.hpp"

#include <atomic>
#include <cstdlib>

#include <fmt/format.h>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#include "util/log.hpp"

namespace lw::cpu {

namespace {

#if defined(__aarch64__) && defined(__APPLE__)
bool sysctl_flag(const char* name) {
  int v = 0;
  size_t len = sizeof v;
  return sysctlbyname(name, &v, &len, nullptr, 0) == 0 && v != 0;
}
#endif

Features probe() {
  Features f;
#if defined(__aarch64__) && defined(__linux__)
  // Bits of the kernel's ABI (arch/arm64/include/uapi/asm/hwcap.h).
  const unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  f.neon = hw & (1UL << 1);      // HWCAP_ASIMD
  f.dotprod = hw & (1UL << 20);  // HWCAP_ASIMDDP
  f.i8mm = hw2 & (1UL << 13);    // HWCAP2_I8MM
  f.bf16 = hw2 & (1UL << 14);    // HWCAP2_BF16
#elif defined(__aarch64__) && defined(__APPLE__)
  f.neon = true;  // every Apple arm64 CPU
  f.dotprod = sysctl_flag("hw.optional.arm.FEAT_DotProd");
  f.i8mm = sysctl_flag("hw.optional.arm.FEAT_I8MM");
  f.bf16 = sysctl_flag("hw.optional.arm.FEAT_BF16");
#elif defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.f16c = __builtin_cpu_supports("f16c");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
  f.avx512bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return f;
}

// Only the levels the build has kernels for (the per-ISA sources of its architecture).
Level highest(const Features& f) {
#if defined(__aarch64__)
  if (!f.neon) return Level::scalar;
  if (!f.dotprod) return Level::neon;
  if (!f.i8mm) return Level::dotprod;
  if (!f.bf16) return Level::i8mm;
  return Level::bf16;
#elif defined(__x86_64__) || defined(__i386__)
  if (!(f.avx2 && f.fma && f.f16c)) return Level::scalar;
  if (!(f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq)) return Level::avx2;
  if (!f.avx512vnni) return Level::avx512;
  if (!f.avx512bf16) return Level::avx512_vnni;
  return Level::avx512_bf16;
#else
  (void)f;
  return Level::scalar;
#endif
}

constexpr const char* kNames[kNumLevels] = {"scalar", "avx2",    "avx512", "avx512_vnni", "avx512_bf16",
                                            "neon",   "dotprod", "i8mm",   "bf16"};

// A level the CPU lacks (above its own, or the other architecture's) becomes the CPU's best.
Level clamp(Level l) {
  return implies(max_level(), l) ? l : max_level();
}

Level initial_level() {
  const char* env = std::getenv("LW_CPU");
  if (!env || !*env) return max_level();
  auto l = parse_level(env);
  if (!l) {
    log::warn(
        "LW_CPU={} is not a level (scalar, avx2, avx512, avx512_vnni, avx512_bf16, neon, dotprod, i8mm, "
        "bf16); using {}",
        env, level_name(max_level()));
    return max_level();
  }
  if (!implies(max_level(), *l))
    log::warn("LW_CPU={}: this CPU does not support it (its best level is {}); using that", env,
              level_name(max_level()));
  return clamp(*l);
}

std::atomic<int>& current() {
  static std::atomic<int> v{static_cast<int>(initial_level())};
  return v;
}

}  // namespace

const Features& detected() {
  static const Features f = probe();
  return f;
}

Level max_level() {
  static const Level l = highest(detected());
  return l;
}

Level level() {
  return static_cast<Level>(current().load(std::memory_order_relaxed));
}

Level set_level(Level l) {
  return static_cast<Level>(current().exchange(static_cast<int>(clamp(l))));
}

const char* level_name(Level l) {
  return kNames[static_cast<int>(l)];
}

std::optional<Level> parse_level(std::string_view name) {
  for (int i = 0; i < kNumLevels; ++i)
    if (name == kNames[i]) return static_cast<Level>(i);
  if (name == "avx512vnni") return Level::avx512_vnni;
  if (name == "avx512bf16") return Level::avx512_bf16;
  return std::nullopt;
}

std::vector<Level> supported_levels() {
  std::vector<Level> out;
  for (int i = 0; i <= static_cast<int>(max_level()); ++i)
    if (implies(max_level(), static_cast<Level>(i))) out.push_back(static_cast<Level>(i));
  return out;
}

std::string describe() {
  const Features& f = detected();
  std::string has;
  auto add = [&](bool b, const char* n) {
    if (b) has += has.empty() ? n : fmt::format(" {}", n);
  };
  add(f.avx2, "AVX2");
  add(f.fma, "FMA");
  add(f.f16c, "F16C");
  add(f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq, "AVX512F/BW/VL/DQ");
  add(f.avx512vnni, "VNNI");
  add(f.avx512bf16, "BF16");
  add(f.neon, "NEON");
  add(f.dotprod, "DOTPROD");
  add(f.i8mm, "I8MM");
  add(f.bf16, "BF16");
  return fmt::format("{} (cpu has {})", level_name(level()), has.empty() ? "no vector extensions" : has);
}

}  // namespace lw::cpu
