#include "eval/arena.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <tuple>

#include "util/error.hpp"

namespace lw::eval {

std::vector<Battle> collect_battles(const std::vector<std::string>& models,
                                    const std::vector<io::Record>& lines, ArenaResult* stats) {
  std::map<std::string, size_t> idx;
  for (size_t i = 0; i < models.size(); ++i) idx[models[i]] = i;
  // (first, second, prompt) -> score of `first` (the last usable line wins).
  std::map<std::tuple<size_t, size_t, std::string>, double> res;
  int64_t first_picked = 0, decisive = 0;
  for (const auto& r : lines) {
    auto fi = idx.find(r.get_string("first")), se = idx.find(r.get_string("second"));
    if (fi == idx.end() || se == idx.end()) continue;  // a model not in this comparison
    if (!r.has("winner")) {
      if (stats) ++stats->failed;
      continue;
    }
    std::string w = r.get_string("winner");
    double s = w == "first" ? 1 : w == "second" ? 0 : w == "tie" ? 0.5 : -1;
    if (s < 0) fail_input("{}: field \"winner\": expected first, second or tie, got \"{}\"", r.where(), w);
    res[{fi->second, se->second, r.get_string("prompt")}] = s;
  }
  std::vector<Battle> out;
  for (const auto& [key, s1] : res) {
    const auto& [a, b, prompt] = key;
    if (s1 != 0.5) {
      ++decisive;
      if (s1 == 1) ++first_picked;
    }
    if (a > b) continue;  // each unordered pair once, from its (a < b) order
    auto other = res.find({b, a, prompt});
    if (other == res.end()) {
      if (stats) ++stats->unpaired;
      continue;
    }
    double s2 = 1 - other->second;  // a's score when b was shown first
    if (stats && s1 != s2) ++stats->inconsistent;
    out.push_back({a, b, (s1 + s2) / 2});
  }
  for (const auto& [key, s] : res) {
    const auto& [a, b, prompt] = key;
    if (a > b && !res.count({b, a, prompt}) && stats) ++stats->unpaired;
  }
  if (stats) {
    stats->judgements = static_cast<int64_t>(res.size());
    stats->first_position = decisive ? static_cast<double>(first_picked) / static_cast<double>(decisive) : 0;
  }
  return out;
}

WinMatrix battle_matrix(size_t n_models, const std::vector<Battle>& battles) {
  WinMatrix w(n_models, std::vector<double>(n_models, 0.0));
  for (const auto& b : battles) {
    w[b.a][b.b] += b.score_a;
    w[b.b][b.a] += 1 - b.score_a;
  }
  return w;
}

void bootstrap_intervals(const std::vector<Battle>& battles, size_t n_models, int rounds, uint64_t seed,
                         double prior, std::vector<double>* lo, std::vector<double>* hi) {
  lo->assign(n_models, 0);
  hi->assign(n_models, 0);
  if (rounds <= 0 || battles.empty()) return;
  std::mt19937_64 gen(seed);
  std::vector<std::vector<double>> elos(n_models);
  std::vector<Battle> sample(battles.size());
  for (int r = 0; r < rounds; ++r) {
    for (auto& s : sample) s = battles[gen() % battles.size()];
    BtFit f = fit_bradley_terry(with_prior(battle_matrix(n_models, sample), prior), 20000, 1e-10);
    for (size_t i = 0; i < n_models; ++i) elos[i].push_back(f.elo[i]);
  }
  auto rank = [&](std::vector<double>& v, double q) {
    return v[static_cast<size_t>(std::floor(q * static_cast<double>(v.size() - 1) + 0.5))];
  };
  for (size_t i = 0; i < n_models; ++i) {
    std::sort(elos[i].begin(), elos[i].end());
    (*lo)[i] = rank(elos[i], 0.025);
    (*hi)[i] = rank(elos[i], 0.975);
  }
}

ArenaResult analyze_arena(const std::vector<std::string>& models, const std::vector<io::Record>& lines,
                          int bootstrap, uint64_t seed, double prior) {
  ArenaResult r;
  r.models = models;
  r.bootstrap = bootstrap;
  r.seed = seed;
  r.prior = prior;
  const size_t n = models.size();
  std::vector<Battle> battles = collect_battles(models, lines, &r);
  r.battles = static_cast<int64_t>(battles.size());
  WinMatrix w = battle_matrix(n, battles);
  BtFit fit = fit_bradley_terry(with_prior(w, prior));
  r.elo = fit.elo;
  if (bootstrap > 0) {
    bootstrap_intervals(battles, n, bootstrap, seed, prior, &r.ci_lo, &r.ci_hi);
  } else {
    r.ci_lo = r.ci_hi = r.elo;
  }
  r.wins.assign(n, 0);
  r.losses.assign(n, 0);
  r.ties.assign(n, 0);
  r.games.assign(n, std::vector<int64_t>(n, 0));
  r.score.assign(n, std::vector<double>(n, 0.0));
  for (const auto& b : battles) {
    ++r.games[b.a][b.b];
    ++r.games[b.b][b.a];
    if (b.score_a > 0.5) {
      ++r.wins[b.a];
      ++r.losses[b.b];
    } else if (b.score_a < 0.5) {
      ++r.wins[b.b];
      ++r.losses[b.a];
    } else {
      ++r.ties[b.a];
      ++r.ties[b.b];
    }
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (r.games[i][j] > 0) r.score[i][j] = w[i][j] / static_cast<double>(r.games[i][j]);
  return r;
}

}  // namespace lw::eval
