// AdamW, clipping, schedules (see optim.hpp).
#include "train/optim.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace lw::train {

std::vector<uint8_t> decay_mask(const std::vector<engine::ParamSpec>& specs) {
  std::vector<uint8_t> m;
  for (const auto& s : specs) m.insert(m.end(), (size_t)s.numel(), s.weight_decay ? 1 : 0);
  return m;
}

void adamw_update(float* p, const float* g, AdamWState& st, const std::vector<uint8_t>& decay,
                  const AdamWConfig& cfg, double lr) {
  const int64_t n = (int64_t)decay.size();
  if ((int64_t)st.m.size() != n) {
    st.m.assign(n, 0.0f);
    st.v.assign(n, 0.0f);
  }
  st.step++;
  const double bc1 = 1.0 - std::pow(cfg.beta1, (double)st.step);
  const double bc2 = 1.0 - std::pow(cfg.beta2, (double)st.step);
  const float b1 = (float)cfg.beta1, b2 = (float)cfg.beta2;
  const float step_size = (float)(lr / bc1);
  const float inv_sqrt_bc2 = (float)(1.0 / std::sqrt(bc2));
  const float eps = (float)cfg.eps;
  const float wd = (float)(lr * cfg.weight_decay);
  float* m = st.m.data();
  float* v = st.v.data();
  const uint8_t* dm = decay.data();
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    m[i] = b1 * m[i] + (1.0f - b1) * gi;
    v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
    float denom = std::sqrt(v[i]) * inv_sqrt_bc2 + eps;
    float pi = p[i];
    if (dm[i]) pi -= wd * pi;  // decoupled decay on the pre-update weight
    p[i] = pi - step_size * m[i] / denom;
  }
}

double grad_norm(const float* g, int64_t n) {
  double ss = 0;
#pragma omp parallel for reduction(+ : ss) schedule(static)
  for (int64_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
  return std::sqrt(ss);
}

double clip_grad_norm(float* g, int64_t n, double max_norm) {
  double norm = grad_norm(g, n);
  if (max_norm > 0 && norm > max_norm) {
    float s = (float)(max_norm / (norm + 1e-6));
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; i++) g[i] *= s;
  }
  return norm;
}

Schedule parse_schedule(const std::string& name) {
  if (name == "cosine") return Schedule::cosine;
  if (name == "linear") return Schedule::linear;
  if (name == "constant") return Schedule::constant;
  fail_input("--schedule: unknown '{}' (expected cosine, linear or constant)", name);
}

double LrSchedule::at(int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps) return peak * (double)(step + 1) / (double)warmup_steps;
  if (kind == Schedule::constant) return peak;
  int64_t decay_steps = std::max<int64_t>(1, total_steps - warmup_steps);
  double prog = std::clamp((double)(step - warmup_steps) / (double)decay_steps, 0.0, 1.0);
  double f = kind == Schedule::cosine ? 0.5 * (1.0 + std::cos(M_PI * prog)) : 1.0 - prog;
  return min_lr + (peak - min_lr) * f;
}

}  // namespace lw::train
