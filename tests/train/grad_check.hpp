#pragma once
// Finite-difference gradient checking in double precision for the train tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "train/rng.hpp"

namespace lw::train::testing {

inline std::vector<double> randn(size_t n, uint64_t seed, double scale = 1.0) {
  Rng r(seed);
  std::vector<double> v(n);
  for (auto& x : v) x = scale * r.normal();
  return v;
}

// Checks analytic[i] against central differences of loss() w.r.t. x[i] for up to max_checks
// indices (all when n is small). Relative error |a - n| / max(1e-6, |a| + |n|) must be < tol, or
// the absolute error < abs_tol.
inline void check_grad(const char* what, std::vector<double>& x, const std::vector<double>& analytic,
                       const std::function<double()>& loss, int max_checks = 60,
                       double tol = 1e-6, double abs_tol = 1e-9, double h = 1e-5) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  std::vector<size_t> idx(x.size());
  for (size_t i = 0; i < idx.size(); i++) idx[i] = i;
  if ((int)idx.size() > max_checks) {
    Rng r(12345 + x.size());
    for (size_t i = 0; i < (size_t)max_checks; i++) std::swap(idx[i], idx[i + r.below(idx.size() - i)]);
    idx.resize(max_checks);
  }
  int nonzero = 0;
  for (size_t i : idx) {
    double old = x[i];
    x[i] = old + h;
    double lp = loss();
    x[i] = old - h;
    double lm = loss();
    x[i] = old;
    double num = (lp - lm) / (2 * h);
    double a = analytic[i];
    double err = std::fabs(a - num);
    double rel = err / std::max(1e-6, std::fabs(a) + std::fabs(num));
    if (std::fabs(num) > 1e-7) nonzero++;
    EXPECT_TRUE(rel < tol || err < abs_tol)
        << what << "[" << i << "]: analytic " << a << " numeric " << num << " rel " << rel;
  }
  EXPECT_GT(nonzero, 0) << what << ": all sampled gradients are zero";
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i];
  return s;
}

}  // namespace lw::train::testing
