#pragma once
// Bradley-Terry ratings: P(i beats j) = p_i / (p_i + p_j), fitted by maximum likelihood with the
// MM algorithm (Hunter 2004): p_i <- W_i / sum_j n_ij / (p_i + p_j), W_i the (possibly fractional)
// wins of i, n_ij the games between i and j; normalised to geometric mean 1 after each step.
// Reported on the Elo scale: 1000 + 400 log10(p_i) (so the ratings average 1000, and a 400-point
// gap means 10:1 odds). The maximum exists when the comparison graph is strongly connected (every
// model has beaten, or tied, every other through some chain); callers add a small prior (virtual
// ties) so that it always does.
#include <cstdint>
#include <vector>

namespace lw::eval {

// wins[i][j]: how much i won against j (a tie counts 0.5 to each side); n = wins.size().
using WinMatrix = std::vector<std::vector<double>>;

struct BtFit {
  std::vector<double> strength;  // p_i, geometric mean 1
  std::vector<double> elo;       // 1000 + 400 log10 p_i
  int iterations = 0;
  bool converged = false;
};

BtFit fit_bradley_terry(const WinMatrix& wins, int max_iterations = 100000, double tolerance = 1e-12);

// Log-likelihood sum_{i != j} wins[i][j] log(p_i / (p_i + p_j)) of strengths p.
double bt_log_likelihood(const WinMatrix& wins, const std::vector<double>& p);

// Adds `ties` virtual ties between every pair (0.5 * ties to each side).
WinMatrix with_prior(WinMatrix wins, double ties);

}  // namespace lw::eval
