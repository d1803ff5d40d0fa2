// Token loss and perplexity by position bucket (see eval.hpp).
#include "train/eval.hpp"

#include <cmath>

#include <fmt/format.h>

#include "util/progress.hpp"

namespace lw::train {

std::vector<int64_t> default_bucket_edges() {
  return {0, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768};
}

namespace {
void init_buckets(EvalResult& r, const std::vector<int64_t>& edges) {
  if (!r.buckets.empty()) return;
  for (size_t i = 0; i < edges.size(); i++) {
    BucketStat b;
    b.lo = edges[i];
    b.hi = i + 1 < edges.size() ? edges[i + 1] : -1;
    r.buckets.push_back(b);
  }
}
}  // namespace

void accumulate_row(EvalResult& r, const Row& row, const std::vector<float>& nll, BucketBy by,
                    const std::vector<int64_t>& edges) {
  init_buckets(r, edges);
  r.rows++;
  for (int s = 0; s < row.n_seq(); s++) {
    int a = row.cu_seqlens[s], b = row.cu_seqlens[s + 1];
    int first = -1;
    bool any = false;
    for (int t = a; t < b; t++) {
      if (row.targets[t] < 0) continue;
      if (first < 0) first = t;
      any = true;
      int64_t p = by == BucketBy::output ? t - first : t + 1 - a;  // position of the target token
      size_t k = 0;
      while (k + 1 < r.buckets.size() && p >= r.buckets[k + 1].lo) k++;
      r.buckets[k].targets++;
      r.buckets[k].nll_sum += nll[t];
      r.targets++;
      r.nll_sum += nll[t];
    }
    r.sequences += any;
  }
}

EvalResult eval_loss(TrainModel<float>& m, const RowSource& src, BucketBy by,
                     const std::vector<int64_t>& edges, int64_t max_rows) {
  EvalResult r;
  init_buckets(r, edges);
  int64_t n = src.size();
  if (max_rows > 0 && max_rows < n) n = max_rows;
  Progress progress("eval-loss", n, "rows");
  std::vector<float> zero, nll;
  for (int64_t i = 0; i < n; i++) {
    Row row = src.row(i);
    zero.assign(row.T(), 0.0f);
    nll.assign(row.T(), 0.0f);
    m.forward(row, /*recompute=*/true);  // forward only: keep just the layer inputs
    m.head(row.targets.data(), zero.data(), nll.data(), /*grad=*/false, /*nll_for_all_targets=*/true);
    accumulate_row(r, row, nll, by, edges);
    progress.add(1);
  }
  progress.finish();
  return r;
}

nlohmann::json EvalResult::to_json() const {
  nlohmann::json b = nlohmann::json::array();
  for (const auto& x : buckets) {
    if (!x.targets) continue;
    b.push_back({{"lo", x.lo}, {"hi", x.hi < 0 ? nlohmann::json(nullptr) : nlohmann::json(x.hi)},
                 {"targets", x.targets}, {"loss", x.loss()}, {"ppl", std::exp(x.loss())}});
  }
  return {{"rows", rows},   {"sequences", sequences},    {"targets", targets},
          {"loss", loss()}, {"ppl", std::exp(loss())}, {"buckets", b}};
}

std::string EvalResult::table() const {
  std::string s = fmt::format("rows {}  sequences {}  targets {}  loss {:.4f}  ppl {:.3f}\n", rows,
                              sequences, targets, loss(), std::exp(loss()));
  s += fmt::format("{:>16}  {:>10}  {:>8}  {:>10}\n", "positions", "targets", "loss", "ppl");
  for (const auto& x : buckets) {
    if (!x.targets) continue;
    std::string range = x.hi < 0 ? fmt::format("{}+", x.lo) : fmt::format("{}-{}", x.lo, x.hi - 1);
    s += fmt::format("{:>16}  {:>10}  {:>8.4f}  {:>10.3f}\n", range, x.targets, x.loss(), std::exp(x.loss()));
  }
  return s;
}

}  // namespace lw::train
