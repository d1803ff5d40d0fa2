#include "eval/scoring.hpp"

#include <algorithm>
#include <map>

#include "eval/judge.hpp"
#include "eval/resume.hpp"
#include "text/words.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::eval {

const std::vector<LengthBucket>& length_buckets() {
  static const std::vector<LengthBucket> b = {
      {"[0, 500)", 0, 500}, {"[500, 2000)", 500, 2000}, {"[2000, 4000)", 2000, 4000}, {"[4000, inf)", 4000, -1}};
  return b;
}

int bucket_index(int64_t required) {
  const auto& b = length_buckets();
  for (size_t i = 0; i < b.size(); ++i)
    if (required >= b[i].lo && (b[i].hi < 0 || required < b[i].hi)) return static_cast<int>(i);
  return 0;  // negative lengths are rejected earlier
}

GroupStats summarize(const std::string& name, const std::vector<const ItemScore*>& items) {
  GroupStats g;
  g.name = name;
  g.n = static_cast<int64_t>(items.size());
  if (items.empty()) return g;
  double sl = 0, req = 0, prod = 0;
  std::array<double, kNumDimensions> dim_sum{};
  for (const ItemScore* it : items) {
    sl += it->s_l;
    req += static_cast<double>(it->required);
    prod += static_cast<double>(it->produced);
    if (it->truncated) ++g.truncated;
    if (it->produced == 0) ++g.empty;
    if (it->judged) {
      ++g.judged;
      for (int d = 0; d < kNumDimensions; ++d) dim_sum[d] += it->scores[d];
    }
  }
  double n = static_cast<double>(g.n);
  g.s_l = sl / n;
  g.mean_required = req / n;
  g.mean_produced = prod / n;
  if (g.judged > 0) {
    double q = 0;
    for (int d = 0; d < kNumDimensions; ++d) {
      g.dims[d] = (dim_sum[d] / static_cast<double>(g.judged) - 1.0) * 25.0;
      q += *g.dims[d];
    }
    g.s_q = q / kNumDimensions;
    g.s = (*g.s_l + *g.s_q) / 2.0;
  }
  return g;
}

namespace {

ItemScore item_from(const io::Record& r) {
  ItemScore it;
  it.where = r.where();
  it.prompt = r.get_string("prompt");
  it.type = r.get_string_or("type", "(no type)");
  it.required = r.get_int("length");
  if (it.required <= 0)
    fail_input("{}: field \"length\": expected a positive integer, got {}", r.where(), it.required);
  if (r.has("response")) {
    it.produced = text::count_words(r.get_string("response"));
  } else if (r.has("response_length")) {
    it.produced = r.get_int("response_length");
    if (it.produced < 0) fail_input("{}: field \"response_length\": expected >= 0", r.where());
  } else {
    fail_input("{}: field \"response\": missing (expected the model's response)", r.where());
  }
  it.truncated = r.get_string_or("finish_reason", "") == "length";
  it.s_l = text::length_score(static_cast<double>(it.required), static_cast<double>(it.produced));
  return it;
}

struct JudgeIndex {
  std::map<std::string, std::vector<const io::Record*>> ok, failed;
};

JudgeIndex index_judgements(const std::vector<io::Record>& judges) {
  JudgeIndex idx;
  for (const auto& r : judges) {
    r.get_string("prompt");
    if (r.has("scores")) {
      if (!is_judged(r.value))
        fail_input("{}: field \"scores\": expected the six dimensions as integers 1..5", r.where());
      idx.ok[judge_key(r.value)].push_back(&r);
    } else {
      idx.failed[judge_key(r.value)].push_back(&r);
    }
  }
  return idx;
}

}  // namespace

ScoreReport compute_scores(const std::vector<io::Record>& preds, const std::vector<io::Record>* judges,
                           const std::vector<io::Record>* data) {
  ScoreReport rep;
  rep.has_judge = judges != nullptr;
  rep.items.reserve(preds.size());
  for (const auto& r : preds) rep.items.push_back(item_from(r));

  if (data) {
    DoneSet have;
    for (const auto& r : preds) have.add(predict_key(r.value));
    for (const auto& d : *data)
      if (!have.take(predict_key(d.value)))
        rep.missing_predictions.push_back({d.where(), d.get_string("prompt"), "no prediction"});
  }

  if (judges) {
    JudgeIndex idx = index_judgements(*judges);
    std::map<std::string, size_t> used;
    for (size_t i = 0; i < preds.size(); ++i) {
      std::string key = judge_key(preds[i].value);
      auto& list = idx.ok[key];
      size_t& u = used[key];
      ItemScore& it = rep.items[i];
      if (u < list.size()) {
        const io::Json& s = list[u++]->value.at("scores");
        it.judged = true;
        for (int d = 0; d < kNumDimensions; ++d) it.scores[d] = s.at(std::string(kDimensions[d])).get<int>();
      } else if (auto f = idx.failed.find(key); f != idx.failed.end() && !f->second.empty()) {
        const io::Record* last = f->second.back();
        rep.judge_failed.push_back({it.where, it.prompt, last->get_string_or("judge_error", "judge failed") +
                                                              " (" + last->where() + ")"});
      } else {
        rep.judge_missing.push_back({it.where, it.prompt, "no judgement"});
      }
    }
    for (const auto& [key, list] : idx.ok) {
      auto u = used.find(key);
      size_t n_used = u == used.end() ? 0 : u->second;
      rep.judge_unmatched += static_cast<int64_t>(list.size() - n_used);
    }
    if (rep.judge_unmatched > 0)
      log::warn("{} judgements match no prediction (made for other responses); they are ignored",
                rep.judge_unmatched);
  }

  std::vector<const ItemScore*> all;
  std::vector<std::vector<const ItemScore*>> by_bucket(length_buckets().size());
  std::map<std::string, std::vector<const ItemScore*>> by_type;
  for (const auto& it : rep.items) {
    all.push_back(&it);
    by_bucket[bucket_index(it.required)].push_back(&it);
    by_type[it.type].push_back(&it);
  }
  rep.overall = summarize("all", all);
  for (size_t b = 0; b < by_bucket.size(); ++b) rep.buckets.push_back(summarize(length_buckets()[b].name, by_bucket[b]));
  for (const auto& [type, list] : by_type) rep.types.push_back(summarize(type, list));
  std::vector<LengthSample> samples;
  for (const auto& it : rep.items) samples.push_back({it.prompt, it.required, it.produced});
  StabilityReport st = analyze_stability(samples);
  if (st.max_samples >= 2) rep.stability = std::move(st);
  return rep;
}

}  // namespace lw::eval
