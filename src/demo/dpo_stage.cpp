#include "demo/dpo_stage.hpp"

#include <omp.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <set>

#include <fmt/format.h>

#include "agentwrite/clean.hpp"
#include "agentwrite/pairs.hpp"
#include "demo/corpus.hpp"
#include "eval/judge_parse.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "text/words.hpp"
#include "tokenizer/chat_format.hpp"
#include "tokenizer/tokenizer.hpp"
#include "train/checkpoint.hpp"
#include "train/dpo.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::demo {

namespace fs = std::filesystem;
using Json = nlohmann::json;

double repetition_rate(std::string_view text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      words.push_back(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) words.push_back(std::move(w));
  if (words.size() < 4) return 0.0;
  std::set<std::string> seen;
  size_t repeats = 0, grams = words.size() - 3;
  for (size_t i = 0; i < grams; ++i) {
    std::string g = words[i] + ' ' + words[i + 1] + ' ' + words[i + 2] + ' ' + words[i + 3];
    if (!seen.insert(std::move(g)).second) ++repeats;
  }
  return static_cast<double>(repeats) / static_cast<double>(grams);
}

const std::string& demo_step_judge_template() {
  static const std::string t = "demo step judge\n$STEP$\n$WORDS$\n$RESPONSE$";
  return t;
}

std::string scripted_judge_answer(const std::string& prompt) {
  // Lines: header, step line (ending "Word Count: N words"), the candidate's words, the candidate.
  const size_t l1 = prompt.find('\n'), l2 = prompt.find('\n', l1 + 1), l3 = prompt.find('\n', l2 + 1);
  if (l1 == std::string::npos || l2 == std::string::npos || l3 == std::string::npos) return "no scores";
  const std::string step = prompt.substr(l1 + 1, l2 - l1 - 1);
  const size_t wc = step.rfind("Word Count: ");
  const int64_t budget = wc == std::string::npos ? 0 : std::atoll(step.c_str() + wc + 12);
  const int64_t words = std::atoll(prompt.c_str() + l2 + 1);
  const double rep = repetition_rate(std::string_view(prompt).substr(l3 + 1));
  const double s_l = budget > 0 && words > 0
                         ? text::length_score(static_cast<double>(budget), static_cast<double>(words))
                         : 0.0;
  const int len = 1 + static_cast<int>(std::lround(4.0 * s_l / 100.0));
  const int fresh = 1 + static_cast<int>(std::lround(4.0 * std::max(0.0, 1.0 - 4.0 * rep)));
  return fmt::format(
      "{{\"Analysis\": \"{} words for a budget of {}; {:.0f}% of 4-grams repeated\", \"Relevance\": {}, "
      "\"Accuracy\": {}, \"Coherence\": {}, \"Clarity\": {}, \"Breadth and Depth\": {}, \"Reading "
      "Experience\": {}}}",
      words, budget, 100.0 * rep, len, fresh, fresh, len, len, fresh);
}

namespace {

class ScriptedJudge : public net::ChatBackend {
 public:
  net::ChatResponse complete(const net::ChatRequest& req, const net::DeltaCallback&) override {
    net::ChatResponse r;
    r.content = scripted_judge_answer(req.messages.back().content);
    r.finish_reason = "stop";
    return r;
  }
  int suggested_concurrency() const override { return 8; }
  std::string describe() const override { return "scripted judge"; }
};

// `per_target` instructions per write target, drawn with their own seed (not the ruler's prompts).
std::vector<agentwrite::WorkItem> instructions(const DemoScale& scale, uint64_t seed, int per_target) {
  std::mt19937_64 rng(seed);
  std::vector<agentwrite::WorkItem> out;
  for (int64_t L : scale.write_targets)
    for (int i = 0; i < per_target; ++i) {
      agentwrite::WorkItem w;
      w.prompt = make_instruction(Lang::en, random_topic(Lang::en, rng), L, rng);
      w.target_words = L;
      out.push_back(std::move(w));
    }
  return out;
}

StepFigures figures(const std::string& model, const std::vector<agentwrite::ItemResult>& results) {
  StepFigures f;
  f.model = model;
  for (const auto& r : results) {
    if (r.status == agentwrite::ItemStatus::failed) fail("demo dpo eval ({}): {}", model, r.reason);
    for (size_t k = 0; k < r.paragraphs.size() && k < r.plan.steps.size(); ++k) {
      const std::string p = agentwrite::clean_paragraph(r.paragraphs[k]);
      const auto budget = static_cast<double>(r.plan.steps[k].words);
      const auto words = static_cast<double>(text::count_words(p));
      f.length_accuracy += words > 0 ? text::length_score(budget, words) : 0.0;
      f.within_20 += std::fabs(words / budget - 1.0) <= 0.2;
      f.repetition += repetition_rate(p);
      ++f.paragraphs;
    }
  }
  if (f.paragraphs > 0) {
    const auto n = static_cast<double>(f.paragraphs);
    f.length_accuracy /= n;
    f.within_20 /= n;
    f.repetition /= n;
  }
  return f;
}

StepFigures figures_of(const Json& j) {
  StepFigures f;
  f.model = j.at("model");
  f.paragraphs = j.at("paragraphs");
  f.length_accuracy = j.at("length_accuracy");
  f.within_20 = j.at("within_20");
  f.repetition = j.at("repetition");
  return f;
}

}  // namespace

Json figures_json(const StepFigures& f) {
  return {{"model", f.model},
          {"paragraphs", f.paragraphs},
          {"length_accuracy", f.length_accuracy},
          {"within_20", f.within_20},
          {"repetition", f.repetition}};
}

Json dpo_pairs_stage(const DemoScale& scale, const fs::path& dir, const serve::LocalOptions& lo,
                     const agentwrite::PipelineConfig& aw, uint64_t seed) {
  auto writer = serve::open_local_backend(dir / "models" / "capped", lo);
  ScriptedJudge judge;
  agentwrite::PairsConfig c;
  c.plan_template = aw.plan_template;
  c.write_template = aw.write_template;
  c.judge_template = demo_step_judge_template();
  c.candidates = 6;
  c.min_margin = 0.5;
  c.concurrency = 4;
  c.judge_attempts = 1;
  c.length_control = aw.length_control;
  c.limits = aw.limits;
  c.temperature = 1.0;  // more varied candidates than the writing temperature
  c.max_tokens = aw.max_tokens;
  c.cap = aw.cap;
  c.seed = static_cast<int64_t>(seed) * 7919 + 17;
  std::vector<agentwrite::PairsItem> items;
  for (const auto& w : instructions(scale, seed + 101, 24)) items.push_back({w.prompt, w.target_words});
  fs::remove_all(dir / "dpo");  // a checkpoint left by a model of other settings is not reused
  agentwrite::Store store(dir / "dpo" / "pairs.sqlite");
  agentwrite::PairsStats st;
  auto res = agentwrite::run_pairs(*writer, judge, store, items, c, &st);
  if (!res.failures.empty()) fail("demo dpo pairs: {}", res.failures[0]);
  if (res.pairs.empty()) fail("demo dpo pairs: no step made a pair (every candidate scored alike)");
  io::JsonlWriter w(dir / "dpo" / "pairs.jsonl");
  for (const auto& p : res.pairs) w.write(p);
  w.commit();
  return {
      {"pairs", res.pairs.size()}, {"steps", st.step_pairs + st.skipped_steps}, {"requests", st.requests}};
}

Json dpo_train_stage(const DemoScale& scale, const fs::path& dir, uint64_t seed, int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  const fs::path capped = dir / "models" / "capped", out = dir / "models" / "capped-dpo";
  auto tok = tok::load_tokenizer(dir / "tokenizer");
  auto format = tok::ChatFormat::by_name("chatml", *tok);
  auto pairs = train::load_dpo_pairs(dir / "dpo" / "pairs.jsonl", tok.get(), &format);
  train::InitSpec init = train::resolve_init(capped);
  std::vector<std::pair<double, double>> ref_lp;
  {
    train::TrainModel<float> ref(init.cfg);
    train::load_weights(ref, init.path);
    ref_lp = train::reference_logps(ref, pairs, dir / "dpo" / "ref_logps.json", "capped");
  }
  train::TrainModel<float> policy(init.cfg);
  train::load_weights(policy, init.path);
  train::DpoOptions o;
  o.out = out;
  o.epochs = 4;
  o.batch_pairs = 8;
  o.beta = 0.1;
  o.adamw.lr = scale.lr * 0.1;
  o.adamw.weight_decay = 0;
  o.warmup_ratio = 0.1;
  o.seed = seed;
  o.pack_tokens = static_cast<int>(scale.max_len);
  o.log_every = 0;
  o.tokenizer_from = dir / "tokenizer";
  auto hist = train::dpo_train(policy, pairs, ref_lp, o);
  auto cfg_path = out / "config.json";
  auto j = Json::parse(io::read_file(cfg_path));
  j["longwriter_chat_format"] = "chatml";
  io::write_file_atomic(cfg_path, j.dump(2));
  return {{"steps", hist.size()},
          {"final_loss", hist.empty() ? 0.0 : hist.back().loss},
          {"final_accuracy", hist.empty() ? 0.0 : hist.back().accuracy}};
}

Json dpo_eval_stage(const DemoScale& scale, const fs::path& dir, const serve::LocalOptions& lo,
                    const agentwrite::PipelineConfig& aw, uint64_t seed) {
  // The tuned model writes from the capped model's plans, so the figures compare the writing of the
  // same steps (DPO was on step continuations; a changed plan would change what is measured).
  auto items = instructions(scale, seed + 202, 24);
  Json out = Json::object();
  for (const char* model : {"capped", "capped-dpo"}) {
    auto backend = serve::open_local_backend(dir / "models" / model, lo);
    agentwrite::Store store(":memory:");
    auto results = agentwrite::run_pipeline(*backend, store, items, aw);
    out[std::string(model) == "capped" ? "before" : "after"] = figures_json(figures(model, results));
    for (size_t i = 0; i < items.size(); ++i) items[i].plan = results[i].plan_text;
  }
  return out;
}

DpoDemo dpo_demo_of(const Json& pairs, const Json& train, const Json& eval) {
  DpoDemo d;
  d.ran = true;
  d.pairs = pairs.at("pairs");
  d.steps = pairs.at("steps");
  d.final_loss = train.at("final_loss");
  d.final_accuracy = train.at("final_accuracy");
  d.before = figures_of(eval.at("before"));
  d.after = figures_of(eval.at("after"));
  return d;
}

}  // namespace lw::demo
