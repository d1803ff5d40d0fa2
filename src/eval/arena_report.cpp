// arena.json / arena.md / arena.html for `bench arena`.
#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "eval/arena.hpp"
#include "eval/table.hpp"
#include "io/file.hpp"

namespace lw::eval {

namespace {

// Models by rating, best first.
std::vector<size_t> order(const ArenaResult& r) {
  std::vector<size_t> o(r.models.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) { return r.elo[a] > r.elo[b]; });
  return o;
}

Table ratings(const ArenaResult& r) {
  Table t;
  t.header = {"Rank", "Model", "Elo", "95% CI", "Wins", "Ties", "Losses"};
  int rank = 0;
  for (size_t i : order(r))
    t.rows.push_back({std::to_string(++rank), r.models[i], fmt::format("{:.0f}", r.elo[i]),
                      r.bootstrap > 0 ? fmt::format("{:.0f} to {:.0f}", r.ci_lo[i], r.ci_hi[i]) : "n/a",
                      std::to_string(r.wins[i]), std::to_string(r.ties[i]), std::to_string(r.losses[i])});
  t.numeric = {true, false, true, true, true, true, true};
  return t;
}

Table matrix(const ArenaResult& r) {
  Table t;
  t.header = {"Row beats column"};
  auto o = order(r);
  for (size_t j : o) t.header.push_back(r.models[j]);
  for (size_t i : o) {
    std::vector<std::string> row = {r.models[i]};
    for (size_t j : o)
      row.push_back(i == j          ? "-"
                    : r.games[i][j] ? fmt::format("{:.0f}% ({})", 100 * r.score[i][j], r.games[i][j])
                                    : "n/a");
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string method(const ArenaResult& r) {
  return fmt::format(
      "Each battle is one prompt judged for a pair of models in both orders; a model's score in it is the "
      "mean "
      "of its two results (win 1, tie 0.5, loss 0). Ratings: Bradley-Terry maximum likelihood (MM algorithm) "
      "with {} virtual tie(s) per pair, on the Elo scale 1000 + 400 log10(strength). 95% CI: percentiles of "
      "{} "
      "bootstrap refits over resampled battles (seed {}). Win rate: mean score of the row model against the "
      "column model (battles in brackets).",
      r.prior, r.bootstrap, r.seed);
}

std::string stats_line(const ArenaResult& r) {
  return fmt::format(
      "{} battles from {} judgements; {} battles whose two orders disagree; the first answer won {:.0f}% of "
      "decisive verdicts; {} judgements without a usable verdict; {} prompts judged in one order only.",
      r.battles, r.judgements, r.inconsistent, 100 * r.first_position, r.failed, r.unpaired);
}

}  // namespace

io::Json arena_to_json(const ArenaResult& r) {
  io::Json models = io::Json::array();
  for (size_t i : order(r)) {
    io::Json vs = io::Json::object();
    for (size_t j = 0; j < r.models.size(); ++j)
      if (j != i && r.games[i][j]) vs[r.models[j]] = {{"score", r.score[i][j]}, {"battles", r.games[i][j]}};
    models.push_back({{"name", r.models[i]},
                      {"elo", r.elo[i]},
                      {"ci_low", r.ci_lo[i]},
                      {"ci_high", r.ci_hi[i]},
                      {"wins", r.wins[i]},
                      {"ties", r.ties[i]},
                      {"losses", r.losses[i]},
                      {"vs", vs}});
  }
  return {{"benchmark", "arena"},
          {"models", models},
          {"battles", r.battles},
          {"judgements", r.judgements},
          {"inconsistent", r.inconsistent},
          {"first_position", r.first_position},
          {"failed", r.failed},
          {"unpaired", r.unpaired},
          {"bootstrap", r.bootstrap},
          {"seed", r.seed},
          {"prior", r.prior}};
}

std::string arena_markdown(const ArenaResult& r) {
  std::string out =
      "# Arena: pairwise comparison\n\n" + stats_line(r) + "\n\n## Ratings\n\n" + to_markdown(ratings(r));
  out += "\n## Win rates\n\n" + to_markdown(matrix(r));
  out += "\n---\n" + method(r) + "\n";
  return out;
}

std::string arena_html(const ArenaResult& r) {
  std::string b =
      "<h1>Arena: pairwise comparison</h1>\n<p class=\"meta\">" + escape_html(stats_line(r)) + "</p>\n";
  b += "<h2>Ratings</h2>\n" + to_html(ratings(r));
  b += "<h2>Win rates</h2>\n" + to_html(matrix(r));
  b += "<p class=\"meta\">" + escape_html(method(r)) + "</p>\n";
  return html_page("Arena", b);
}

void write_arena_report(const ArenaResult& r, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  io::write_file_atomic(dir / "arena.json", arena_to_json(r).dump(2) + "\n");
  io::write_file_atomic(dir / "arena.md", arena_markdown(r));
  io::write_file_atomic(dir / "arena.html", arena_html(r));
}

}  // namespace lw::eval
