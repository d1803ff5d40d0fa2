#pragma once
// AdamW with decoupled weight decay (none on norms and biases: engine::ParamSpec::weight_decay),
// global-norm gradient clipping, and a learning-rate schedule (linear warmup, then cosine or
// linear decay to min_lr).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/params.hpp"

namespace lw::train {

struct AdamWConfig {
  double lr = 1e-5;
  double beta1 = 0.9, beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;
};

struct AdamWState {
  std::vector<float> m, v;  // first and second moments, flat like the parameters
  int64_t step = 0;         // updates applied so far
};

// One update at learning rate lr: p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p) where decayed.
// `decay` (n) marks the elements that take weight decay (see decay_mask).
void adamw_update(float* params, const float* grads, AdamWState& st, const std::vector<uint8_t>& decay,
                  const AdamWConfig& cfg, double lr);
// Per-element decay flags from the parameter list.
std::vector<uint8_t> decay_mask(const std::vector<engine::ParamSpec>& specs);

// Global L2 norm of the gradient (double accumulation).
double grad_norm(const float* grads, int64_t n);
// Scales grads so their global norm is at most max_norm (no-op when max_norm <= 0). Returns the
// norm before clipping.
double clip_grad_norm(float* grads, int64_t n, double max_norm);

enum class Schedule { cosine, linear, constant };
Schedule parse_schedule(const std::string& name);

struct LrSchedule {
  Schedule kind = Schedule::cosine;
  double peak = 1e-5;
  double min_lr = 0.0;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  // lr for optimizer step `step` (0-based): warmup (step+1)/warmup*peak, then decay to min_lr at
  // total_steps.
  double at(int64_t step) const;
};

}  // namespace lw::train
