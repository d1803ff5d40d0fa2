#include "cpu/features.hpp"

#include <atomic>
#include <cstdlib>

#include <fmt/format.h>

#include "util/log.hpp"

namespace lw::cpu {

namespace {

Features probe() {
  Features f;
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
  return f;
}

Level highest(const Features& f) {
  if (!(f.avx2 && f.fma && f.f16c)) return Level::scalar;
  if (!(f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq)) return Level::avx2;
  if (!f.avx512vnni) return Level::avx512;
  if (!f.avx512bf16) return Level::avx512_vnni;
  return Level::avx512_bf16;
}

constexpr const char* kNames[] = {"scalar", "avx2", "avx512", "avx512_vnni", "avx512_bf16"};

Level clamp(Level l) {
  return static_cast<int>(l) > static_cast<int>(max_level()) ? max_level() : l;
}

Level initial_level() {
  const char* env = std::getenv("LW_CPU");
  if (!env || !*env) return max_level();
  auto l = parse_level(env);
  if (!l) {
    log::warn("LW_CPU={} is not a level (scalar, avx2, avx512, avx512_vnni, avx512_bf16); using {}", env,
              level_name(max_level()));
    return max_level();
  }
  if (static_cast<int>(*l) > static_cast<int>(max_level()))
    log::warn("LW_CPU={}: this CPU supports up to {}; using that", env, level_name(max_level()));
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

Level level() { return static_cast<Level>(current().load(std::memory_order_relaxed)); }

Level set_level(Level l) {
  return static_cast<Level>(current().exchange(static_cast<int>(clamp(l))));
}

const char* level_name(Level l) { return kNames[static_cast<int>(l)]; }

std::optional<Level> parse_level(std::string_view name) {
  for (int i = 0; i < 5; ++i)
    if (name == kNames[i]) return static_cast<Level>(i);
  if (name == "avx512vnni") return Level::avx512_vnni;
  if (name == "avx512bf16") return Level::avx512_bf16;
  return std::nullopt;
}

std::vector<Level> supported_levels() {
  std::vector<Level> out;
  for (int i = 0; i <= static_cast<int>(max_level()); ++i) out.push_back(static_cast<Level>(i));
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
  return fmt::format("{} (cpu has {})", level_name(level()), has.empty() ? "no vector extensions" : has);
}

}  // namespace lw::cpu
