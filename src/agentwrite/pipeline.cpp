#include "agentwrite/pipeline.hpp"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "agentwrite/clean.hpp"
#include "agentwrite/length_request.hpp"
#include "text/words.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::agentwrite {

const char* status_name(ItemStatus s) {
  switch (s) {
    case ItemStatus::done:
      return "done";
    case ItemStatus::dropped:
      return "dropped";
    case ItemStatus::failed:
      return "failed";
    case ItemStatus::planned:
      return "planned";
  }
  return "?";
}

std::string settings_fingerprint(const PipelineConfig& c) {
  auto hash = [](const std::string& s) { return item_key(s, 0).substr(0, 16); };
  nlohmann::json j = {
      {"plan_template", hash(c.plan_template.empty() ? default_plan_template() : c.plan_template)},
      {"write_template", hash(c.write_template.empty() ? default_write_template() : c.write_template)},
      {"parallel", c.parallel},
      {"length_control", c.length_control},
      {"max_plan_steps", c.limits.max_steps}};
  if (c.refine != RefineMode::off) {  // absent when off: checkpoints made before refine stay usable
    j["refine"] = refine_mode_name(c.refine);
    j["critique_template"] =
        hash(c.critique_template.empty() ? default_critique_template() : c.critique_template);
    j["revise_template"] = hash(c.revise_template.empty() ? default_revise_template() : c.revise_template);
  }
  return j.dump();
}

namespace {

constexpr int kPlanStep = -1;
// The phases of a step's requests.
constexpr int kWrite = 0, kCritique = 1, kRevise = 2;

struct ItemState {
  std::string key;
  int64_t explicit_target = 0;
  int plan_attempts = 0;
  std::string last_rejection;
  bool have_plan = false;
  bool given_plan = false;
  Plan plan;
  std::string plan_text;
  std::vector<std::optional<StoredParagraph>> paras;
  std::vector<std::string> cleaned;  // clean_paragraph of each finished paragraph (for $TEXT$)
  std::vector<bool> issued;          // a request for this step is queued or in flight
  bool plan_issued = false;
  int in_flight = 0;
  bool finished = false;
  bool failed = false;
  std::string fail_reason;
  std::map<std::pair<int, int>, int> failures;  // per (step, phase) (kPlanStep for the plan) in this run
  // Refine: per step (paragraph mode) and of the whole text (whole mode).
  std::vector<std::optional<StoredRequest>> critiques, revisions;
  std::optional<StoredRequest> whole_critique, whole_revision;
  std::set<std::pair<int, int>> refine_issued;  // (step, phase) queued or in flight

  std::optional<StoredRequest>& refine_slot(int step, int phase) {
    if (step == kWholeStep) return phase == kCritique ? whole_critique : whole_revision;
    return phase == kCritique ? critiques[step] : revisions[step];
  }
  const std::optional<StoredRequest>& refine_slot(int step, int phase) const {
    return const_cast<ItemState*>(this)->refine_slot(step, phase);
  }
  // Words of step k as the text so far has it (the revision once there is one).
  int64_t final_words(size_t k) const { return revisions[k] ? revisions[k]->words : paras[k]->words; }

  int64_t target() const { return explicit_target > 0 ? explicit_target : plan.total_words(); }
};

struct Task {
  size_t item;
  int step;
  int phase = kWrite;
  bool operator<(const Task& o) const {
    if (item != o.item) return item < o.item;
    return step != o.step ? step < o.step : phase < o.phase;
  }
};

const char* kind_of(int phase) {
  return phase == kCritique ? "critique" : "revision";
}

class Runner {
 public:
  Runner(net::ChatBackend& backend, Store& store, const std::vector<WorkItem>& items,
         const PipelineConfig& config, const Observer& observer, RunStats& stats)
      : backend_(backend), store_(store), items_(items), cfg_(config), obs_(observer), stats_(stats) {
    plan_tmpl_ = cfg_.plan_template.empty() ? default_plan_template() : cfg_.plan_template;
    write_tmpl_ = cfg_.write_template.empty() ? default_write_template() : cfg_.write_template;
    validate_plan_template(plan_tmpl_, "plan template");
    validate_write_template(write_tmpl_, "write template");
    critique_tmpl_ = cfg_.critique_template.empty() ? default_critique_template() : cfg_.critique_template;
    revise_tmpl_ = cfg_.revise_template.empty() ? default_revise_template() : cfg_.revise_template;
    validate_critique_template(critique_tmpl_, "critique template");
    validate_revise_template(revise_tmpl_, "revise template");
  }

  std::vector<ItemResult> run() {
    restore();
    {
      std::lock_guard lk(mu_);
      for (size_t i = 0; i < states_.size(); ++i) schedule_locked(i);
    }
    int n = std::max(1, cfg_.concurrency);
    std::vector<std::thread> workers;
    for (int w = 0; w < n; ++w) workers.emplace_back([this] { work(); });
    for (auto& t : workers) t.join();
    if (fatal_) std::rethrow_exception(fatal_);
    std::vector<ItemResult> out;
    out.reserve(states_.size());
    for (size_t i = 0; i < states_.size(); ++i) out.push_back(result_of(i));
    return out;
  }

 private:
  void restore() {
    std::map<std::string, int> seen;
    std::vector<std::string> keys;
    states_.resize(items_.size());
    for (size_t i = 0; i < items_.size(); ++i) {
      auto& st = states_[i];
      st.key = item_key(items_[i].prompt, seen[items_[i].prompt]++);
      keys.push_back(st.key);
      st.explicit_target =
          items_[i].target_words > 0 ? items_[i].target_words : explicit_target_words(items_[i].prompt);
    }
    auto stored = store_.load(keys);
    for (size_t i = 0; i < items_.size(); ++i) {
      auto& st = states_[i];
      const auto& s = stored[st.key];
      if (items_[i].plan) {
        PlanParse pp = parse_plan(*items_[i].plan, st.explicit_target, cfg_.limits);
        if (!pp.ok()) fail_input("instruction {}: the given plan is unusable: {}", i + 1, pp.rejection);
        adopt_plan(st, std::move(pp.plan), *items_[i].plan);
        st.given_plan = true;
      } else {
        st.plan_attempts = static_cast<int>(s.plans.size());
        for (const auto& p : s.plans) {
          if (!p.accepted) {
            st.last_rejection = p.reason;
            continue;
          }
          PlanParse pp = parse_plan(p.text, st.explicit_target, cfg_.limits);
          if (pp.ok()) {
            adopt_plan(st, std::move(pp.plan), p.text);
            ++stats_.reused_plans;
          }
        }
      }
      if (st.have_plan) {
        for (const auto& [step, para] : s.paragraphs) {
          if (step < 0 || step >= static_cast<int>(st.paras.size())) continue;
          st.paras[step] = para;
          st.cleaned[step] = clean_paragraph(para.text);
          ++stats_.reused_paragraphs;
          if (obs_.on_paragraph) obs_.on_paragraph(i, step, para, true);
        }
        for (const auto& [k, req] : s.requests) restore_refine(i, req);
      }
    }
  }

  void restore_refine(size_t i, const StoredRequest& req) {
    auto& st = states_[i];
    const int phase = req.kind == "critique" ? kCritique : req.kind == "revision" ? kRevise : -1;
    if (phase < 0 || cfg_.refine == RefineMode::off) return;
    if (cfg_.refine == RefineMode::whole ? req.step != kWholeStep
                                         : req.step < 0 || req.step >= static_cast<int>(st.paras.size()))
      return;
    if (req.step != kWholeStep && !st.paras[req.step]) return;
    st.refine_slot(req.step, phase) = req;
    if (phase == kRevise && req.step != kWholeStep) st.cleaned[req.step] = clean_paragraph(req.text);
    ++stats_.reused_refinements;
    if (obs_.on_refine) obs_.on_refine(i, req, true);
  }

  void adopt_plan(ItemState& st, Plan plan, const std::string& text) {
    st.plan = std::move(plan);
    st.plan_text = text;
    st.have_plan = true;
    st.paras.assign(st.plan.steps.size(), std::nullopt);
    st.cleaned.assign(st.plan.steps.size(), std::string());
    st.issued.assign(st.plan.steps.size(), false);
    st.critiques.assign(st.plan.steps.size(), std::nullopt);
    st.revisions.assign(st.plan.steps.size(), std::nullopt);
  }

  void push_locked(size_t i, int step, int phase = kWrite) {
    ready_.insert({i, step, phase});
    cv_.notify_one();
  }

  // Queues the next refine request of a step (false when its critique and revision are done).
  bool refine_pending_locked(size_t i, int step) {
    auto& st = states_[i];
    const int phase = !st.refine_slot(step, kCritique) ? kCritique
                      : !st.refine_slot(step, kRevise) ? kRevise
                                                       : 0;
    if (phase == 0) return false;
    if (st.refine_issued.insert({step, phase}).second) push_locked(i, step, phase);
    return true;
  }

  // Queues what item i can do next, or finishes it.
  void schedule_locked(size_t i) {
    auto& st = states_[i];
    if (st.finished) return;
    if (st.failed) {
      if (st.in_flight == 0) finish_locked(i);
      return;
    }
    if (!st.have_plan) {
      if (st.plan_attempts >= cfg_.max_plan_attempts) {
        finish_locked(i);
      } else if (!st.plan_issued) {
        st.plan_issued = true;
        push_locked(i, kPlanStep);
      }
      return;
    }
    if (cfg_.plan_only) {
      finish_locked(i);
      return;
    }
    bool all_done = true;
    for (size_t k = 0; k < st.paras.size(); ++k) {
      if (st.paras[k]) {
        if (cfg_.refine != RefineMode::paragraph || !refine_pending_locked(i, static_cast<int>(k))) continue;
      } else if (!st.issued[k]) {
        st.issued[k] = true;
        push_locked(i, static_cast<int>(k));
      }
      all_done = false;
      if (!cfg_.parallel) break;  // sequential: only the first unfinished step
    }
    if (all_done && cfg_.refine == RefineMode::whole && refine_pending_locked(i, kWholeStep))
      all_done = false;
    if (all_done) finish_locked(i);
  }

  void finish_locked(size_t i) {
    auto& st = states_[i];
    if (st.finished) return;
    st.finished = true;
    if (obs_.on_item_done) obs_.on_item_done(i, result_of(i));
  }

  ItemResult result_of(size_t i) const {
    const auto& st = states_[i];
    ItemResult r;
    r.plan_text = st.plan_text;
    r.plan = st.plan;
    r.target_words = st.have_plan ? st.target() : st.explicit_target;
    if (st.failed) {
      r.status = ItemStatus::failed;
      r.reason = st.fail_reason;
    } else if (!st.have_plan) {
      r.status = st.plan_attempts >= cfg_.max_plan_attempts ? ItemStatus::dropped : ItemStatus::failed;
      r.reason = st.plan_attempts >= cfg_.max_plan_attempts
                     ? fmt::format("plan rejected {} times (last: {})", st.plan_attempts, st.last_rejection)
                     : "not finished";
    } else if (cfg_.plan_only) {
      r.status = ItemStatus::planned;
    } else {
      std::vector<std::string> drafts;
      for (size_t k = 0; k < st.paras.size(); ++k) {
        const bool refined = cfg_.refine == RefineMode::paragraph;
        if (!st.paras[k] || (refined && (!st.critiques[k] || !st.revisions[k]))) {
          r.status = ItemStatus::failed;
          r.reason = "not finished";
          return r;
        }
        drafts.push_back(st.paras[k]->text);
        r.paragraphs.push_back(refined ? st.revisions[k]->text : st.paras[k]->text);
        if (refined)
          r.refinements.push_back({static_cast<int>(k), st.paras[k]->text, st.critiques[k]->text,
                                   st.revisions[k]->text, st.revisions[k]->finish_reason == "length"});
      }
      r.response = join_paragraphs(r.paragraphs);
      if (cfg_.refine == RefineMode::whole) {
        if (!st.whole_critique || !st.whole_revision) {
          r.status = ItemStatus::failed;
          r.reason = "not finished";
          return r;
        }
        r.refinements.push_back({kWholeStep, r.response, st.whole_critique->text, st.whole_revision->text,
                                 st.whole_revision->finish_reason == "length"});
        r.response = clean_paragraph(st.whole_revision->text);
      }
      r.response_length = text::count_words(r.response);
      double need = cfg_.min_length_fraction * static_cast<double>(r.target_words);
      if (r.target_words > 0 && static_cast<double>(r.response_length) < need) {
        r.status = ItemStatus::dropped;
        r.reason = fmt::format("too short: {} words < {} x target {}", r.response_length,
                               cfg_.min_length_fraction, r.target_words);
      } else {
        r.status = ItemStatus::done;
      }
    }
    return r;
  }

  // The request for a task; *token_cap is set to the paragraph's token cap when one was applied.
  net::ChatRequest request_locked(const Task& t, int64_t* token_cap = nullptr) {
    const auto& st = states_[t.item];
    const auto& item = items_[t.item];
    net::ChatRequest req;
    req.model = cfg_.model;
    req.temperature = cfg_.temperature;
    req.top_p = cfg_.top_p;
    req.extras = cfg_.extras;
    req.max_tokens = cfg_.max_tokens;
    std::string prompt;
    if (t.step == kPlanStep) {
      prompt = render_plan_prompt(plan_tmpl_, item.prompt);
      if (cfg_.seed)
        req.seed = *cfg_.seed + 1000 * static_cast<int64_t>(t.item) + 100000 * st.plan_attempts;
      else if (st.plan_attempts > 0)
        req.seed = st.plan_attempts;  // a different sample for a re-plan
    } else if (t.phase != kWrite) {
      prompt = refine_prompt_locked(t, req, token_cap);
    } else {
      std::vector<int64_t> written;
      std::string so_far;
      if (!cfg_.parallel) {
        for (int k = 0; k < t.step; ++k) {
          written.push_back(st.final_words(static_cast<size_t>(k)));
          if (st.cleaned[k].empty()) continue;
          if (!so_far.empty()) so_far += "\n\n";
          so_far += st.cleaned[k];
        }
      }
      if (cfg_.seed) req.seed = *cfg_.seed + 1000 * static_cast<int64_t>(t.item) + t.step + 1;
      BudgetOptions bo;
      bo.length_control = cfg_.length_control;
      auto budgets = step_budgets(st.plan, written, st.target(), bo);
      // The plan keeps its own budgets, so it reads the same in every write prompt (a stable
      // prefix); the rescaled budget of this step is in the step line, after the text so far.
      prompt = render_write_prompt(write_tmpl_, item.prompt, format_plan(st.plan, {}), so_far,
                                   format_step(st.plan, static_cast<size_t>(t.step), budgets[t.step]));
      if (cfg_.cap.enabled) {
        const int64_t cap = paragraph_token_cap(
            budgets[t.step], measured_tokens_per_word(backend_, item.prompt, so_far), cfg_.cap);
        if (!req.max_tokens || cap < *req.max_tokens) {
          req.max_tokens = cap;
          if (token_cap) *token_cap = cap;
        }
      }
    }
    req.messages.push_back({"user", std::move(prompt)});
    return req;
  }

  // The critique or revision prompt of a task; sets the revision's seed and token cap on req.
  std::string refine_prompt_locked(const Task& t, net::ChatRequest& req, int64_t* token_cap) {
    const auto& st = states_[t.item];
    const auto& item = items_[t.item];
    RefineFields f;
    f.instruction = item.prompt;
    f.plan = format_plan(st.plan, {});
    int64_t budget = 0;
    if (t.step == kWholeStep) {
      std::vector<std::string> drafts;
      for (const auto& p : st.paras) drafts.push_back(p->text);
      f.draft = join_paragraphs(drafts);
      f.draft_words = text::count_words(f.draft);
      budget = st.target();
      f.step = whole_step_line(st.plan, budget);
    } else {
      std::vector<int64_t> written;
      for (int k = 0; k < t.step; ++k) {
        if (cfg_.parallel) break;
        written.push_back(st.final_words(static_cast<size_t>(k)));
        if (st.cleaned[k].empty()) continue;
        if (!f.text_so_far.empty()) f.text_so_far += "\n\n";
        f.text_so_far += st.cleaned[k];
      }
      BudgetOptions bo;
      bo.length_control = cfg_.length_control;
      auto budgets = step_budgets(st.plan, written, st.target(), bo);
      budget = budgets[t.step];
      f.step = format_step(st.plan, static_cast<size_t>(t.step), budget);
      f.draft = clean_paragraph(st.paras[t.step]->text);
      f.draft_words = st.paras[t.step]->words;
    }
    const int k = (t.step == kWholeStep ? -1 : t.step) + 1;
    if (cfg_.seed)
      req.seed = *cfg_.seed + 1000 * static_cast<int64_t>(t.item) + (t.phase == kCritique ? 300 : 600) + k;
    if (t.phase == kCritique) return render_critique_prompt(critique_tmpl_, f);
    if (cfg_.cap.enabled) {
      const int64_t cap =
          paragraph_token_cap(budget, measured_tokens_per_word(backend_, item.prompt, f.draft), cfg_.cap);
      if (!req.max_tokens || cap < *req.max_tokens) {
        req.max_tokens = cap;
        if (token_cap) *token_cap = cap;
      }
    }
    return render_revise_prompt(revise_tmpl_, f, st.refine_slot(t.step, kCritique)->text);
  }

  void work() {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [this] { return !ready_.empty() || in_flight_ == 0 || fatal_; });
      if (fatal_ || (ready_.empty() && in_flight_ == 0)) {
        cv_.notify_all();
        return;
      }
      Task t = *ready_.begin();
      ready_.erase(ready_.begin());
      auto& st = states_[t.item];
      if (st.failed) {  // queued before its instruction failed
        schedule_locked(t.item);
        continue;
      }
      int64_t token_cap = 0;
      net::ChatRequest req = request_locked(t, &token_cap);
      ++st.in_flight;
      ++in_flight_;
      ++stats_.requests;
      lk.unlock();

      net::ChatResponse resp;
      std::string error;
      try {
        net::DeltaCallback cb;
        if (cfg_.stream && obs_.on_delta && t.step != kPlanStep && t.phase == kWrite)
          cb = [this, t](std::string_view d) { obs_.on_delta(t.item, t.step, d); };
        resp = backend_.complete(req, cb);
      } catch (const std::exception& e) {
        error = e.what();
        if (error.empty()) error = "request failed";
      }

      try {
        if (error.empty())
          handle_response(t, resp, token_cap);
        else
          store_.put_failure(st.key, t.step, error);
      } catch (...) {
        lk.lock();
        if (!fatal_) fatal_ = std::current_exception();
        --st.in_flight;
        --in_flight_;
        cv_.notify_all();
        return;
      }

      lk.lock();
      --st.in_flight;
      --in_flight_;
      stats_.completion_tokens += resp.usage.completion_tokens;
      stats_.seconds += resp.seconds;
      stats_.prompt_tokens += resp.usage.prompt_tokens;
      stats_.cached_tokens += resp.usage.cached_tokens;
      stats_.prefill_seconds += resp.prefill_seconds;
      stats_.decode_seconds += resp.decode_seconds;
      if (!error.empty()) {
        ++stats_.failed_requests;
        int n = ++st.failures[{t.step, t.phase}];
        std::string what = t.step == kPlanStep ? "plan" : fmt::format("paragraph {}", t.step + 1);
        if (t.phase != kWrite)
          what = fmt::format("{} of {}", kind_of(t.phase), t.step == kWholeStep ? "the whole text" : what);
        if (n <= cfg_.step_retries) {
          log::warn("instruction {}: {} failed ({}); retrying", t.item + 1, what, error);
          ready_.insert(t);
        } else {
          log::warn("instruction {}: {} failed: {}", t.item + 1, what, error);
          st.failed = true;
          st.fail_reason = fmt::format("{} failed: {}", what, error);
        }
      } else {
        apply_locked(t);
      }
      schedule_locked(t.item);
      cv_.notify_all();
    }
  }

  // Parses and stores a response (outside the lock: the store has its own), keeping the result
  // in pending_ for apply_locked.
  void handle_response(const Task& t, const net::ChatResponse& resp, int64_t token_cap) {
    auto& st = states_[t.item];
    if (t.step == kPlanStep) {
      PlanParse pp = parse_plan(resp.content, st.explicit_target, cfg_.limits);
      int attempt;
      {
        std::lock_guard lk(mu_);
        attempt = st.plan_attempts;
      }
      store_.put_plan(st.key, {attempt, resp.content, pp.ok(), pp.rejection});
      std::lock_guard lk(mu_);
      pending_plans_[t.item] = {std::move(pp), resp.content};
    } else if (t.phase != kWrite) {
      StoredRequest x;
      x.kind = kind_of(t.phase);
      x.step = t.step;
      x.text = resp.content;
      if (t.phase == kRevise && token_cap > 0 && resp.finish_reason == "length")
        x.text = trim_to_last_sentence(resp.content);
      x.words = text::count_words(clean_paragraph(x.text));
      x.finish_reason = resp.finish_reason;
      x.completion_tokens = resp.usage.completion_tokens;
      x.seconds = resp.seconds;
      store_.put_request(st.key, x);
      std::lock_guard lk(mu_);
      pending_refines_[t] = std::move(x);
    } else {
      StoredParagraph p;
      p.step = t.step;
      p.text = resp.content;
      p.token_cap = token_cap;
      if (token_cap > 0 && resp.finish_reason == "length") {
        p.capped = true;
        p.text = trim_to_last_sentence(resp.content);
      }
      p.prompt_tokens = resp.usage.prompt_tokens;
      p.cached_tokens = resp.usage.cached_tokens;
      p.prefill_seconds = resp.prefill_seconds;
      p.decode_seconds = resp.decode_seconds;
      std::string cleaned = clean_paragraph(p.text);
      p.words = text::count_words(cleaned);
      p.finish_reason = resp.finish_reason;
      p.completion_tokens = resp.usage.completion_tokens;
      p.seconds = resp.seconds;
      store_.put_paragraph(st.key, p);
      std::lock_guard lk(mu_);
      pending_paras_[{t.item, t.step}] = {std::move(p), std::move(cleaned)};
    }
  }

  void apply_locked(const Task& t) {
    auto& st = states_[t.item];
    if (t.step == kPlanStep) {
      auto node = pending_plans_.extract(t.item);
      auto& [pp, text] = node.mapped();
      ++st.plan_attempts;
      st.plan_issued = false;
      if (pp.ok()) {
        for (const auto& note : pp.plan.notes) log::debug("instruction {}: plan: {}", t.item + 1, note);
        adopt_plan(st, std::move(pp.plan), text);
        if (obs_.on_plan) obs_.on_plan(t.item, st.plan);
      } else {
        st.last_rejection = pp.rejection;
        log::warn("instruction {}: plan rejected ({}), attempt {}/{}", t.item + 1, pp.rejection,
                  st.plan_attempts, cfg_.max_plan_attempts);
      }
    } else if (t.phase != kWrite) {
      auto node = pending_refines_.extract(t);
      auto& slot = st.refine_slot(t.step, t.phase);
      slot = std::move(node.mapped());
      st.refine_issued.erase({t.step, t.phase});
      if (t.phase == kRevise) {
        if (slot->finish_reason == "length" && cfg_.cap.enabled) ++stats_.capped_revisions;
        if (t.step != kWholeStep) st.cleaned[t.step] = clean_paragraph(slot->text);
      }
      if (obs_.on_refine) obs_.on_refine(t.item, *slot, false);
    } else {
      auto node = pending_paras_.extract({t.item, t.step});
      st.paras[t.step] = std::move(node.mapped().first);
      if (st.paras[t.step]->capped) ++stats_.capped_paragraphs;
      st.cleaned[t.step] = std::move(node.mapped().second);
      st.issued[t.step] = false;
      if (obs_.on_paragraph) obs_.on_paragraph(t.item, t.step, *st.paras[t.step], false);
    }
  }

  net::ChatBackend& backend_;
  Store& store_;
  const std::vector<WorkItem>& items_;
  const PipelineConfig& cfg_;
  const Observer& obs_;
  RunStats& stats_;
  std::string plan_tmpl_, write_tmpl_, critique_tmpl_, revise_tmpl_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ItemState> states_;
  std::set<Task> ready_;
  int in_flight_ = 0;
  std::exception_ptr fatal_;
  std::map<size_t, std::pair<PlanParse, std::string>> pending_plans_;
  std::map<std::pair<size_t, int>, std::pair<StoredParagraph, std::string>> pending_paras_;
  std::map<Task, StoredRequest> pending_refines_;
};

}  // namespace

std::vector<ItemResult> run_pipeline(net::ChatBackend& backend, Store& store,
                                     const std::vector<WorkItem>& items, const PipelineConfig& config,
                                     const Observer& observer, RunStats* stats) {
  RunStats local;
  RunStats& s = stats ? *stats : local;
  store.check_settings(settings_fingerprint(config));
  Runner r(backend, store, items, config, observer, s);
  return r.run();
}

}  // namespace lw::agentwrite
