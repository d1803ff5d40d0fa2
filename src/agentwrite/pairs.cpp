#include "agentwrite/pairs.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <semaphore>

#include "agentwrite/clean.hpp"
#include "agentwrite/length_request.hpp"
#include "agentwrite/refine.hpp"
#include "eval/judge_parse.hpp"
#include "eval/judge_prompt.hpp"
#include "eval/pool.hpp"
#include "text/words.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::agentwrite {

const std::string& default_step_judge_template() {
  static const std::string t =
      "You are grading one part of a long piece that an AI assistant is writing from a plan, one part "
      "at a time. Judge only this part, strictly, as a demanding editor would; a score of 5 should be "
      "rare.\n\n"
      "=== USER REQUEST ===\n$INST$\n=== END OF USER REQUEST ===\n\n"
      "=== THE PLAN ===\n$PLAN$\n=== END OF THE PLAN ===\n\n"
      "=== THE TEXT BEFORE THIS PART ===\n$TEXT$\n=== END OF THE TEXT BEFORE THIS PART ===\n\n"
      "=== THE PART TO GRADE ($WORDS$ words), written for: $STEP$ ===\n$RESPONSE$\n"
      "=== END OF THE PART ===\n\n"
      "Give each of these six aspects an integer score from 1 (very poor) to 5 (excellent):\n"
      "- Relevance: does the part cover the main point of its step, and only that?\n"
      "- Accuracy: are its facts and claims correct?\n"
      "- Coherence: does it follow on from the text before it without repeating it?\n"
      "- Clarity: is the language clear and precise, with concrete detail?\n"
      "- Breadth and Depth: does it treat its point fully, close to its word count?\n"
      "- Reading Experience: is it engaging, free of filler and repetition?\n\n"
      "First think briefly about the part's strengths and weaknesses. Then answer with exactly one JSON "
      "object and nothing after it, in this form:\n"
      "{\"Analysis\": \"<a few sentences>\", \"Relevance\": <1-5>, \"Accuracy\": <1-5>, "
      "\"Coherence\": <1-5>, \"Clarity\": <1-5>, \"Breadth and Depth\": <1-5>, "
      "\"Reading Experience\": <1-5>}\n";
  return t;
}

void validate_step_judge_template(const std::string& tmpl, const std::string& what) {
  if (tmpl.find("$RESPONSE$") == std::string::npos)
    fail_input("{}: a step judge template needs the placeholder $RESPONSE$ (the candidate)", what);
}

std::string pairs_fingerprint(const PairsConfig& c) {
  auto hash = [](const std::string& s, const std::string& dflt) {
    return item_key(s.empty() ? dflt : s, 0).substr(0, 16);
  };
  nlohmann::json j = {{"kind", "pairs"},
                      {"plan_template", hash(c.plan_template, default_plan_template())},
                      {"write_template", hash(c.write_template, default_write_template())},
                      {"judge_template", hash(c.judge_template, default_step_judge_template())},
                      {"candidates", c.candidates},
                      {"seed", c.seed},
                      {"length_control", c.length_control},
                      {"max_plan_steps", c.limits.max_steps},
                      {"whole", c.whole}};
  if (c.whole) {
    j["whole_judge_template"] = hash(c.whole_judge_template, eval::default_judge_template());
    j["critique_template"] = hash(c.critique_template, default_critique_template());
    j["revise_template"] = hash(c.revise_template, default_revise_template());
  }
  return j.dump();
}

nlohmann::json trl_dpo_line(const nlohmann::json& pair) {
  return {{"prompt", pair.at("prefix")},
          {"chosen", nlohmann::json::array({{{"role", "assistant"}, {"content", pair.at("chosen")}}})},
          {"rejected", nlohmann::json::array({{{"role", "assistant"}, {"content", pair.at("rejected")}}})}};
}

namespace {

// A request that failed after its retries: fails its instruction only.
struct RequestFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Judged {
  bool ok = false;
  double score = 0;  // the mean of the six scores
  nlohmann::json scores = nlohmann::json::object();
  std::string reason;
};

class PairsRunner {
 public:
  PairsRunner(net::ChatBackend& writer, net::ChatBackend& judge, Store& store,
              const std::vector<PairsItem>& items, const PairsConfig& c, PairsStats& stats)
      : writer_(writer),
        judge_(judge),
        store_(store),
        items_(items),
        c_(c),
        stats_(stats),
        slots_(std::max(1, c.concurrency)) {
    plan_tmpl_ = c.plan_template.empty() ? default_plan_template() : c.plan_template;
    write_tmpl_ = c.write_template.empty() ? default_write_template() : c.write_template;
    judge_tmpl_ = c.judge_template.empty() ? default_step_judge_template() : c.judge_template;
    whole_judge_tmpl_ =
        c.whole_judge_template.empty() ? eval::default_judge_template() : c.whole_judge_template;
    critique_tmpl_ = c.critique_template.empty() ? default_critique_template() : c.critique_template;
    revise_tmpl_ = c.revise_template.empty() ? default_revise_template() : c.revise_template;
    validate_plan_template(plan_tmpl_, "plan template");
    validate_write_template(write_tmpl_, "write template");
    validate_step_judge_template(judge_tmpl_, "step judge template");
    eval::validate_judge_template(whole_judge_tmpl_, "whole judge template");
    validate_critique_template(critique_tmpl_, "critique template");
    validate_revise_template(revise_tmpl_, "revise template");
    if (c.candidates < 2 || c.candidates > 32) fail_input("--candidates {}: expected 2..32", c.candidates);
  }

  PairsResult run() {
    std::map<std::string, int> seen;
    std::vector<std::string> keys;
    for (const auto& it : items_) keys.push_back(item_key(it.prompt, seen[it.prompt]++));
    stored_ = store_.load(keys);
    std::vector<std::vector<nlohmann::json>> per_item(items_.size());
    std::vector<std::string> failure(items_.size());
    eval::parallel_for(items_.size(), std::max(1, c_.concurrency), [&](size_t n) {
      try {
        per_item[n] = item_pairs(n, keys[n]);
      } catch (const RequestFailed& e) {
        failure[n] = e.what();
        log::warn("instruction {}: {}", n + 1, e.what());
      }
    });
    stats_.requests += requests_.load();
    stats_.reused += reused_.load();
    stats_.skipped_steps += skipped_.load();
    PairsResult out;
    for (size_t n = 0; n < items_.size(); ++n) {
      if (!failure[n].empty()) {
        out.failures.push_back(fmt::format("instruction {}: {}", n + 1, failure[n]));
        ++stats_.failed_items;
        continue;
      }
      for (auto& p : per_item[n]) {
        ++(p["type"] == "step" ? stats_.step_pairs : stats_.whole_pairs);
        out.pairs.push_back(std::move(p));
      }
    }
    return out;
  }

 private:
  int64_t base_seed(size_t n) const { return c_.seed + 1000000 * static_cast<int64_t>(n); }

  net::ChatRequest writer_request(std::string prompt, int64_t seed) const {
    net::ChatRequest req;
    req.model = c_.model;
    req.temperature = c_.temperature;
    req.top_p = c_.top_p;
    req.extras = c_.extras;
    req.max_tokens = c_.max_tokens;
    req.seed = seed;
    req.messages.push_back({"user", std::move(prompt)});
    return req;
  }

  // The judge's: the writer's sampling settings replaced by the judge's.
  net::ChatRequest judge_request(std::string prompt, int64_t seed) const {
    net::ChatRequest req = writer_request(std::move(prompt), seed);
    req.temperature = c_.judge_temperature;
    req.top_p.reset();
    req.extras = {};
    req.max_tokens = c_.judge_max_tokens;
    return req;
  }

  // A request slot (of `concurrency`), held from sending a request until its answer is stored.
  struct Slot {
    std::counting_semaphore<>& s;
    explicit Slot(std::counting_semaphore<>& sem) : s(sem) { s.acquire(); }
    ~Slot() { s.release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
  };

  // Caps a writer request at the budget's token cap (tokens per word measured on the text so far,
  // as agentwrite does); returns the cap (0: none).
  int64_t cap_request(net::ChatRequest& req, int64_t budget, const std::string& instruction,
                      const std::string& so_far) const {
    if (!c_.cap.enabled) return 0;
    const int64_t cap =
        paragraph_token_cap(budget, measured_tokens_per_word(writer_, instruction, so_far), c_.cap);
    if (req.max_tokens && *req.max_tokens <= cap) return 0;
    req.max_tokens = cap;
    return cap;
  }

  // One request: from the store when it finished before, else asked (with retries) and stored.
  StoredRequest ask(net::ChatBackend& backend, const std::string& key, const std::string& kind, int step,
                    int index, int attempt, const net::ChatRequest& req, int64_t token_cap) {
    const RequestKey id{kind, step, index, attempt};
    {
      const auto& it = stored_.at(key).requests;  // read-only after load
      auto f = it.find(id);
      if (f != it.end()) {
        ++reused_;
        return f->second;
      }
    }
    Slot slot(slots_);  // held until the answer is stored: a kill loses at most `concurrency` requests
    net::ChatResponse resp =
        complete(backend, key, step, req, fmt::format("{} (step {}, {})", kind, step + 1, index));
    StoredRequest x;
    x.kind = kind;
    x.step = step;
    x.index = index;
    x.attempt = attempt;
    x.text = resp.content;
    if (token_cap > 0 && resp.finish_reason == "length") x.text = trim_to_last_sentence(resp.content);
    x.words = text::count_words(clean_paragraph(x.text));
    x.finish_reason = resp.finish_reason;
    x.completion_tokens = resp.usage.completion_tokens;
    x.seconds = resp.seconds;
    store_.put_request(key, x);
    return x;
  }

  net::ChatResponse complete(net::ChatBackend& backend, const std::string& key, int step,
                             const net::ChatRequest& req, const std::string& what) {
    std::string error;
    for (int a = 0; a <= c_.step_retries; ++a) {
      ++requests_;
      try {
        return backend.complete(req, {});
      } catch (const std::exception& e) {
        error = e.what();
        store_.put_failure(key, step, error);
      }
    }
    throw RequestFailed(fmt::format("{} failed: {}", what, error));
  }

  Judged parse(const StoredRequest& answer) const {
    Judged j;
    eval::JudgeParse p = eval::parse_judge_output(answer.text);
    if (!p.ok) {
      j.reason = p.error;
      return j;
    }
    j.ok = true;
    double sum = 0;
    for (int d = 0; d < eval::kNumDimensions; ++d) {
      j.scores[std::string(eval::kDimensions[d])] = p.scores[d];
      sum += p.scores[d];
    }
    j.score = sum / eval::kNumDimensions;
    j.reason = p.analysis;
    return j;
  }

  // Asks the judge until an answer parses (each answer stored as attempt a).
  Judged judge(const std::string& key, const std::string& kind, int step, int index,
               const std::string& prompt, int64_t seed) {
    Judged j;
    for (int a = 0; a < c_.judge_attempts; ++a) {
      StoredRequest ans = ask(judge_, key, kind, step, index, a, judge_request(prompt, seed + a), 0);
      j = parse(ans);
      if (j.ok) return j;
    }
    return j;
  }

  Plan make_plan(size_t n, const std::string& key, int64_t explicit_target, std::string& plan_text) {
    const auto& plans = stored_.at(key).plans;
    std::string last;
    for (int a = 0; a < c_.max_plan_attempts; ++a) {
      std::string text;
      if (a < static_cast<int>(plans.size())) {
        text = plans[a].text;
        ++reused_;
      }
      PlanParse pp;
      if (a < static_cast<int>(plans.size())) {
        pp = parse_plan(text, explicit_target, c_.limits);
      } else {
        net::ChatRequest req =
            writer_request(render_plan_prompt(plan_tmpl_, items_[n].prompt), base_seed(n) + a);
        Slot slot(slots_);
        text = complete(writer_, key, -1, req, "plan").content;
        pp = parse_plan(text, explicit_target, c_.limits);
        store_.put_plan(key, {a, text, pp.ok(), pp.rejection});
      }
      if (pp.ok()) {
        plan_text = text;
        return std::move(pp.plan);
      }
      last = pp.rejection;
    }
    throw RequestFailed(fmt::format("plan rejected {} times (last: {})", c_.max_plan_attempts, last));
  }

  std::vector<nlohmann::json> item_pairs(size_t n, const std::string& key) {
    const PairsItem& item = items_[n];
    const int64_t explicit_target =
        item.target_words > 0 ? item.target_words : explicit_target_words(item.prompt);
    std::string plan_text;
    Plan plan = make_plan(n, key, explicit_target, plan_text);
    const int64_t target = explicit_target > 0 ? explicit_target : plan.total_words();
    const std::string plan_lines = format_plan(plan, {});
    std::vector<nlohmann::json> out;
    std::vector<int64_t> written;
    std::vector<std::string> chosen_texts;
    std::string so_far;
    const int K = c_.candidates;
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      BudgetOptions bo;
      bo.length_control = c_.length_control;
      const int64_t budget = step_budgets(plan, written, target, bo)[i];
      const std::string step_line = format_step(plan, i, budget);
      const std::string prompt = render_write_prompt(write_tmpl_, item.prompt, plan_lines, so_far, step_line);
      const int64_t step_seed = base_seed(n) + 1000 * static_cast<int64_t>(i + 1);
      std::vector<StoredRequest> cand(K);
      std::vector<Judged> judged(K);
      const int step = static_cast<int>(i);
      eval::parallel_for(static_cast<size_t>(K), K, [&](size_t j) {
        net::ChatRequest req = writer_request(prompt, step_seed + static_cast<int64_t>(j));
        const int64_t cap = cap_request(req, budget, item.prompt, so_far);
        cand[j] = ask(writer_, key, "candidate", step, static_cast<int>(j), 0, req, cap);
        const std::string text = clean_paragraph(cand[j].text);
        const std::string jp =
            eval::fill_placeholders(judge_tmpl_, {{"$INST$", item.prompt},
                                                  {"$PLAN$", plan_lines},
                                                  {"$TEXT$", so_far},
                                                  {"$STEP$", step_line},
                                                  {"$WORDS$", std::to_string(cand[j].words)},
                                                  {"$RESPONSE$", text}});
        judged[j] = judge(key, "judge", step, static_cast<int>(j), jp,
                          step_seed + 100 + 10 * static_cast<int64_t>(j));
      });
      int best = -1, worst = -1;
      for (int j = 0; j < K; ++j) {
        if (!judged[j].ok) continue;
        if (best < 0 || judged[j].score > judged[best].score) best = j;
        if (worst < 0 || judged[j].score <= judged[worst].score) worst = j;
      }
      const int keep = best >= 0 ? best : 0;  // nothing scored: the text goes on with candidate 0
      if (best >= 0 && best != worst && judged[best].score - judged[worst].score >= c_.min_margin) {
        std::vector<net::ChatMessage> prefix;
        prefix.push_back({"user", prompt});  // exactly what the writer was sent for this step
        out.push_back(pair_json(n, "step", step + 1, prefix, cand[best], cand[worst], judged[best],
                                judged[worst], best, worst));
        out.back()["budget"] = budget;
      } else {
        ++skipped_;
      }
      const std::string kept = clean_paragraph(cand[keep].text);
      written.push_back(cand[keep].words);
      chosen_texts.push_back(cand[keep].text);
      if (!kept.empty()) {
        if (!so_far.empty()) so_far += "\n\n";
        so_far += kept;
      }
    }
    if (c_.whole) whole_pair(n, key, plan, plan_lines, target, join_paragraphs(chosen_texts), out);
    return out;
  }

  void whole_pair(size_t n, const std::string& key, const Plan& plan, const std::string& plan_lines,
                  int64_t target, const std::string& draft, std::vector<nlohmann::json>& out) {
    const PairsItem& item = items_[n];
    const int step = static_cast<int>(plan.steps.size());
    const int64_t seed = base_seed(n) + 1000 * static_cast<int64_t>(step + 1);
    RefineFields f;
    f.instruction = item.prompt;
    f.plan = plan_lines;
    f.step = whole_step_line(plan, target);
    f.draft = draft;
    f.draft_words = text::count_words(draft);
    StoredRequest critique = ask(writer_, key, "critique", kWholeStep, 0, 0,
                                 writer_request(render_critique_prompt(critique_tmpl_, f), seed), 0);
    net::ChatRequest rq = writer_request(render_revise_prompt(revise_tmpl_, f, critique.text), seed + 1);
    const int64_t cap = cap_request(rq, target, item.prompt, draft);
    StoredRequest revision = ask(writer_, key, "revision", kWholeStep, 0, 0, rq, cap);
    StoredRequest draft_req;
    draft_req.text = draft;
    draft_req.words = f.draft_words;
    const std::string revised = clean_paragraph(revision.text);
    Judged jd = judge(key, "judge_whole", kWholeStep, 0,
                      eval::fill_judge_template(whole_judge_tmpl_, item.prompt, draft), seed + 100);
    Judged jr = judge(key, "judge_whole", kWholeStep, 1,
                      eval::fill_judge_template(whole_judge_tmpl_, item.prompt, revised), seed + 110);
    if (!jd.ok || !jr.ok || std::abs(jd.score - jr.score) < c_.min_margin || jd.score == jr.score) {
      ++skipped_;
      return;
    }
    const bool revised_wins = jr.score > jd.score;
    std::vector<net::ChatMessage> prefix;
    prefix.push_back({"user", item.prompt});
    nlohmann::json p = revised_wins ? pair_json(n, "whole", 0, prefix, revision, draft_req, jr, jd, 1, 0)
                                    : pair_json(n, "whole", 0, prefix, draft_req, revision, jd, jr, 0, 1);
    p["step"] = "whole";
    p["critique"] = critique.text;
    out.push_back(std::move(p));
  }

  nlohmann::json pair_json(size_t n, const char* type, int step, const std::vector<net::ChatMessage>& prefix,
                           const StoredRequest& chosen, const StoredRequest& rejected, const Judged& jc,
                           const Judged& jr, int ci, int ri) const {
    nlohmann::json msgs = nlohmann::json::array();
    for (const auto& m : prefix) msgs.push_back({{"role", m.role}, {"content", m.content}});
    return {{"instruction", n + 1},
            {"prompt", items_[n].prompt},
            {"type", type},
            {"step", step},
            {"prefix", msgs},
            {"chosen", clean_paragraph(chosen.text)},
            {"rejected", clean_paragraph(rejected.text)},
            {"chosen_score", jc.score},
            {"rejected_score", jr.score},
            {"margin", jc.score - jr.score},
            {"chosen_scores", jc.scores},
            {"rejected_scores", jr.scores},
            {"chosen_reason", jc.reason},
            {"rejected_reason", jr.reason},
            {"chosen_words", text::count_words(clean_paragraph(chosen.text))},
            {"rejected_words", text::count_words(clean_paragraph(rejected.text))},
            {"chosen_candidate", ci},
            {"rejected_candidate", ri}};
  }

  net::ChatBackend& writer_;
  net::ChatBackend& judge_;
  Store& store_;
  const std::vector<PairsItem>& items_;
  const PairsConfig& c_;
  PairsStats& stats_;
  // Counted from many threads; added to stats_ at the end.
  std::atomic<int64_t> requests_{0}, reused_{0}, skipped_{0};
  std::counting_semaphore<> slots_;
  std::string plan_tmpl_, write_tmpl_, judge_tmpl_, whole_judge_tmpl_, critique_tmpl_, revise_tmpl_;
  std::map<std::string, StoredItem> stored_;
};

}  // namespace

PairsResult run_pairs(net::ChatBackend& writer, net::ChatBackend& judge, Store& store,
                      const std::vector<PairsItem>& items, const PairsConfig& config, PairsStats* stats) {
  PairsStats local;
  PairsStats& s = stats ? *stats : local;
  store.check_settings(pairs_fingerprint(config));
  PairsRunner r(writer, judge, store, items, config, s);
  return r.run();
}

}  // namespace lw::agentwrite
