#include "eval/report.hpp"

namespace lw::eval {

namespace {

io::Json opt(const std::optional<double>& v) { return v ? io::Json(*v) : io::Json(nullptr); }

io::Json problems(const std::vector<Problem>& ps) {
  io::Json out = io::Json::array();
  for (const auto& p : ps) out.push_back({{"where", p.where}, {"prompt", p.prompt}, {"reason", p.reason}});
  return out;
}

}  // namespace

io::Json group_to_json(const GroupStats& g) {
  io::Json dims = io::Json::object();
  for (int d = 0; d < kNumDimensions; ++d) dims[std::string(kDimensions[d])] = opt(g.dims[d]);
  return {{"name", g.name},
          {"n", g.n},
          {"S_l", opt(g.s_l)},
          {"S_q", opt(g.s_q)},
          {"S", opt(g.s)},
          {"quality", dims},
          {"judged", g.judged},
          {"truncated", g.truncated},
          {"empty", g.empty},
          {"mean_required", g.mean_required},
          {"mean_produced", g.mean_produced}};
}

io::Json report_to_json(const ScoreReport& r) {
  io::Json buckets = io::Json::array();
  for (size_t b = 0; b < r.buckets.size(); ++b) {
    io::Json g = group_to_json(r.buckets[b]);
    g["lo"] = length_buckets()[b].lo;
    g["hi"] = length_buckets()[b].hi < 0 ? io::Json(nullptr) : io::Json(length_buckets()[b].hi);
    buckets.push_back(g);
  }
  io::Json types = io::Json::array();
  for (const auto& t : r.types) types.push_back(group_to_json(t));
  io::Json items = io::Json::array();
  for (const auto& it : r.items) {
    io::Json j = {{"where", it.where}, {"prompt", it.prompt},     {"type", it.type},
                  {"required", it.required}, {"produced", it.produced}, {"S_l", it.s_l},
                  {"truncated", it.truncated}};
    if (it.judged) {
      io::Json s = io::Json::object();
      for (int d = 0; d < kNumDimensions; ++d) s[std::string(kDimensions[d])] = it.scores[d];
      j["scores"] = s;
    }
    items.push_back(j);
  }
  bool complete = r.missing_predictions.empty() && r.judge_failed.empty() && r.judge_missing.empty();
  io::Json out = {{"name", r.name},
                  {"S_l", opt(r.overall.s_l)},
                  {"S_q", opt(r.overall.s_q)},
                  {"S", opt(r.overall.s)},
                  {"quality", group_to_json(r.overall)["quality"]},
                  {"counts",
                   {{"predictions", r.overall.n},
                    {"judged", r.overall.judged},
                    {"truncated", r.overall.truncated},
                    {"empty", r.overall.empty},
                    {"missing_predictions", r.missing_predictions.size()},
                    {"judge_failed", r.judge_failed.size()},
                    {"judge_missing", r.judge_missing.size()},
                    {"judge_unmatched", r.judge_unmatched}}},
                  {"complete", complete},
                  {"overall", group_to_json(r.overall)},
                  {"buckets", buckets},
                  {"types", types},
                  {"missing_predictions", problems(r.missing_predictions)},
                  {"judge_failed", problems(r.judge_failed)},
                  {"judge_missing", problems(r.judge_missing)},
                  {"inputs", {{"pred", r.pred_path}, {"judge", r.judge_path}, {"data", r.data_path}}},
                  {"items", items}};
  if (r.stability) out["stability"] = stability_to_json(*r.stability);
  if (r.positions) out["positions"] = positions_to_json(*r.positions);
  return out;
}

}  // namespace lw::eval
