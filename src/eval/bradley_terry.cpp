#include "eval/bradley_terry.hpp"

#include <cmath>

#include "util/error.hpp"

namespace lw::eval {

namespace {

void normalise(std::vector<double>& p) {
  double log_sum = 0;
  for (double x : p) log_sum += std::log(x);
  double g = std::exp(log_sum / static_cast<double>(p.size()));
  for (double& x : p) x /= g;
}

}  // namespace

WinMatrix with_prior(WinMatrix wins, double ties) {
  for (size_t i = 0; i < wins.size(); ++i)
    for (size_t j = 0; j < wins.size(); ++j)
      if (i != j) wins[i][j] += 0.5 * ties;
  return wins;
}

double bt_log_likelihood(const WinMatrix& wins, const std::vector<double>& p) {
  double ll = 0;
  for (size_t i = 0; i < wins.size(); ++i)
    for (size_t j = 0; j < wins.size(); ++j)
      if (i != j && wins[i][j] > 0) ll += wins[i][j] * std::log(p[i] / (p[i] + p[j]));
  return ll;
}

BtFit fit_bradley_terry(const WinMatrix& wins, int max_iterations, double tolerance) {
  const size_t n = wins.size();
  for (const auto& row : wins) LW_CHECK(row.size() == n, "win matrix must be square");
  BtFit fit;
  fit.strength.assign(n, 1.0);
  std::vector<double> w(n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (i != j) w[i] += wins[i][j];
  std::vector<double> next(n);
  for (fit.iterations = 1; fit.iterations <= max_iterations; ++fit.iterations) {
    for (size_t i = 0; i < n; ++i) {
      double denom = 0;
      for (size_t j = 0; j < n; ++j) {
        if (i == j) continue;
        double games = wins[i][j] + wins[j][i];
        if (games > 0) denom += games / (fit.strength[i] + fit.strength[j]);
      }
      // A model with no wins (or no games) drifts to 0; keep it tiny but positive.
      next[i] = denom > 0 && w[i] > 0 ? w[i] / denom : 1e-300;
    }
    normalise(next);
    double change = 0;
    for (size_t i = 0; i < n; ++i) change = std::max(change, std::abs(std::log(next[i] / fit.strength[i])));
    fit.strength = next;
    if (change < tolerance) {
      fit.converged = true;
      break;
    }
  }
  fit.elo.resize(n);
  for (size_t i = 0; i < n; ++i) fit.elo[i] = 1000 + 400 * std::log10(fit.strength[i]);
  return fit;
}

}  // namespace lw::eval
