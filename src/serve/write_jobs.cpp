#include "serve/write_jobs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>

#include "agentwrite/clean.hpp"
#include "agentwrite/length_request.hpp"
#include "agentwrite/store.hpp"
#include "io/file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::serve {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool is_active(const std::string& status) {
  return status == "queued" || status == "planning" || status == "writing";
}

// The backend with a stop switch: once `cancel` is set, a request in flight ends at its next
// piece of text (the engine then drops the sequence) and new requests fail at once.
class CancellableBackend : public net::ChatBackend {
 public:
  CancellableBackend(net::ChatBackend& inner, const std::atomic<bool>& cancel)
      : inner_(inner), cancel_(cancel) {}
  net::ChatResponse complete(const net::ChatRequest& request, const net::DeltaCallback& on_delta) override {
    if (cancel_) fail("cancelled");
    net::DeltaCallback cb = [&](std::string_view d) {
      if (cancel_) fail("cancelled");
      if (on_delta) on_delta(d);
    };
    auto r = inner_.complete(request, cb);
    if (cancel_) fail("cancelled");
    return r;
  }
  int suggested_concurrency() const override { return 1; }
  std::string describe() const override { return inner_.describe(); }
  std::optional<int64_t> count_tokens(std::string_view text) const override {
    return inner_.count_tokens(text);
  }

 private:
  net::ChatBackend& inner_;
  const std::atomic<bool>& cancel_;
};

std::string new_job_id() {
  std::random_device rd;
  return fmt::format("wj-{:08x}{:04x}", rd(), rd() & 0xffff);
}

Json plan_json(const std::vector<agentwrite::PlanStep>& plan) {
  Json a = Json::array();
  for (const auto& s : plan) a.push_back({{"main_point", s.main_point}, {"words", s.words}});
  return a;
}

agentwrite::Plan as_plan(const std::vector<agentwrite::PlanStep>& steps) {
  agentwrite::Plan p;
  p.steps = steps;
  return p;
}

void remove_store_files(const fs::path& p) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix, ec);
}

}  // namespace

struct WriteJobs::Job {
  struct Para {
    std::string text;  // cleaned when done; the streamed text so far while it is written
    int64_t words = 0;
    bool done = false;
  };
  std::string id, instruction, status = "queued", error;
  int64_t target = 0;  // as requested (0: from the instruction or the plan)
  bool plan_only = false;
  bool have_plan = false;
  std::vector<agentwrite::PlanStep> plan;
  int generation = 0;
  double created = 0, updated = 0;
  std::optional<double> temperature, top_p;
  std::optional<int64_t> seed;
  std::vector<Para> paras;
  // The current run, for progress.
  double run_start = 0;
  int64_t run_tokens = 0, run_words = 0, live_tokens = 0, prompt_tokens = 0, cached_tokens = 0;
  double last_progress = 0;
  std::deque<Json> events;
  int64_t seq = 0;

  fs::path folder(const fs::path& dir) const { return dir / id; }
  fs::path store_path(const fs::path& dir, int gen) const {
    return folder(dir) / fmt::format("checkpoint-{}.sqlite", gen);
  }
  std::string key() const { return agentwrite::item_key(instruction, 0); }
  int64_t effective_target() const {
    if (target > 0) return target;
    if (int64_t t = agentwrite::explicit_target_words(instruction); t > 0) return t;
    int64_t sum = 0;
    for (const auto& s : plan) sum += s.words;
    return sum;
  }
  void adopt_plan(std::vector<agentwrite::PlanStep> steps) {
    plan = std::move(steps);
    have_plan = true;
    paras.assign(plan.size(), Para{});
  }
};

fs::path default_jobs_dir() {
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x)
    return fs::path(x) / "longwriter" / "write-jobs";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local/state/longwriter/write-jobs";
  return "longwriter-write-jobs";
}

namespace {

// The pipeline settings of every run of a job (the checkpoint's fingerprint depends on them).
agentwrite::PipelineConfig run_config(const WriteJobsOptions& o) {
  agentwrite::PipelineConfig c = o.config;
  c.model = o.model;
  c.parallel = false;
  c.length_control = true;
  c.concurrency = 1;
  c.stream = true;
  c.step_retries = 1;
  return c;
}

// Takes the jobs directory (creating it); false when another process holds it.
bool lock_dir(const fs::path& dir, int* fd) {
  fs::create_directories(dir);
  *fd = ::open((dir / ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (*fd < 0) fail("{}: cannot open the jobs directory's lock file", dir.string());
  if (::flock(*fd, LOCK_EX | LOCK_NB) == 0) return true;
  ::close(*fd);
  *fd = -1;
  return false;
}

}  // namespace

WriteJobs::WriteJobs(net::ChatBackend& backend, WriteJobsOptions options)
    : backend_(backend), opts_(std::move(options)) {
  if (fs::exists(opts_.dir)) {
    if (!lock_dir(opts_.dir, &lock_fd_)) {
      available_ = false;
      log::warn(
          "{}: the jobs directory is used by another longwriter serve; /v1/write is off (give --jobs-dir)",
          opts_.dir.string());
      return;
    }
    load_all();
  }
  worker_ = std::thread([this] { work(); });
}

WriteJobs::~WriteJobs() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    cancel_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void WriteJobs::load_all() {
  std::vector<Job*> resume;
  for (const auto& entry : fs::directory_iterator(opts_.dir)) {
    const fs::path file = entry.path() / "job.json";
    if (!entry.is_directory() || !fs::exists(file)) continue;
    auto job = std::make_unique<Job>();
    try {
      Json j = Json::parse(io::read_file(file));
      job->id = j.at("id").get<std::string>();
      if (job->id != entry.path().filename().string()) fail_input("id {} does not match its folder", job->id);
      job->instruction = j.at("instruction").get<std::string>();
      job->target = j.value("target_words", int64_t{0});
      job->plan_only = j.value("plan_only", false);
      job->status = j.value("status", std::string("queued"));
      job->error = j.value("error", std::string());
      job->generation = j.value("generation", 0);
      job->created = j.value("created", 0.0);
      job->updated = j.value("updated", 0.0);
      if (j.contains("temperature")) job->temperature = j["temperature"].get<double>();
      if (j.contains("top_p")) job->top_p = j["top_p"].get<double>();
      if (j.contains("seed")) job->seed = j["seed"].get<int64_t>();
      if (j.contains("plan") && j["plan"].is_array()) {
        std::vector<agentwrite::PlanStep> steps;
        for (const auto& r : j["plan"])
          steps.push_back({r.at("main_point").get<std::string>(), r.at("words").get<int64_t>(), true});
        job->adopt_plan(std::move(steps));
      }
    } catch (const std::exception& e) {
      log::warn("{}: skipped: {}", file.string(), e.what());
      continue;
    }
    if (job->have_plan) {
      try {
        agentwrite::Store store(job->store_path(opts_.dir, job->generation));
        auto items = store.load({job->key()});
        for (const auto& [step, p] : items[job->key()].paragraphs) {
          if (step < 0 || step >= static_cast<int>(job->paras.size())) continue;
          job->paras[step] = {agentwrite::clean_paragraph(p.text), p.words, true};
        }
      } catch (const std::exception& e) {
        job->status = "failed";
        job->error = e.what();
      }
    }
    if (is_active(job->status)) {
      job->status = "queued";
      resume.push_back(job.get());
    }
    std::string id = job->id;
    jobs_[id] = std::move(job);
  }
  std::sort(resume.begin(), resume.end(), [](const Job* a, const Job* b) { return a->created < b->created; });
  for (Job* j : resume) {
    log::info("write job {}: resuming", j->id);
    queue_.push_back(j->id);
  }
}

WriteJobs::Job& WriteJobs::find_locked(const std::string& id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) throw JobNotFound(fmt::format("no write job '{}'", id.substr(0, 80)));
  return *it->second;
}

void WriteJobs::persist_locked(const Job& job) {
  Json j = {{"id", job.id},
            {"instruction", job.instruction},
            {"target_words", job.target},
            {"plan_only", job.plan_only},
            {"status", job.status},
            {"error", job.error},
            {"generation", job.generation},
            {"created", job.created},
            {"updated", job.updated}};
  if (job.have_plan) j["plan"] = plan_json(job.plan);
  if (job.temperature) j["temperature"] = *job.temperature;
  if (job.top_p) j["top_p"] = *job.top_p;
  if (job.seed) j["seed"] = *job.seed;
  io::write_file_atomic(job.folder(opts_.dir) / "job.json",
                        j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
}

void WriteJobs::emit_locked(Job& job, const std::string& event, Json data) {
  job.events.push_back({{"seq", ++job.seq}, {"event", event}, {"data", std::move(data)}});
  while (job.events.size() > opts_.kept_events) job.events.pop_front();
  cv_.notify_all();
}

void WriteJobs::set_status_locked(Job& job, const std::string& status, const std::string& error) {
  job.status = status;
  job.error = error;
  job.updated = now_s();
  persist_locked(job);
  emit_locked(job, "status", {{"status", status}, {"error", error}});
}

Json WriteJobs::progress_locked(const Job& job) const {
  int64_t done = 0, words = 0;
  for (const auto& p : job.paras) {
    if (!p.done) continue;
    ++done;
    words += p.words;
  }
  const int64_t n = static_cast<int64_t>(job.paras.size());
  const int64_t target = job.effective_target();
  Json j = {{"paragraph", std::min(done + 1, std::max<int64_t>(n, 1))},
            {"paragraphs", n},
            {"done", done},
            {"words", words},
            {"target_words", target},
            {"tokens_per_second", nullptr},
            {"eta_seconds", nullptr},
            {"cached_share", nullptr}};
  const double elapsed = job.run_start > 0 ? now_s() - job.run_start : 0;
  if (is_active(job.status) && elapsed > 0.05) {
    j["tokens_per_second"] = static_cast<double>(job.run_tokens + job.live_tokens) / elapsed;
    if (job.run_words > 0)
      j["eta_seconds"] = static_cast<double>(std::max<int64_t>(0, target - words)) *
                         (elapsed / static_cast<double>(job.run_words));
  }
  if (job.prompt_tokens > 0)
    j["cached_share"] = static_cast<double>(job.cached_tokens) / static_cast<double>(job.prompt_tokens);
  return j;
}

Json WriteJobs::state_locked(const Job& job) const {
  Json paras = Json::array();
  std::vector<std::string> texts;
  for (size_t k = 0; k < job.paras.size(); ++k) {
    const auto& p = job.paras[k];
    paras.push_back({{"paragraph", k + 1},
                     {"main_point", job.plan[k].main_point},
                     {"budget", job.plan[k].words},
                     {"text", p.text},
                     {"words", p.words},
                     {"done", p.done}});
    if (p.done) texts.push_back(p.text);
  }
  return {{"id", job.id},
          {"instruction", job.instruction},
          {"target_words", job.effective_target()},
          {"plan_only", job.plan_only},
          {"status", job.status},
          {"error", job.error},
          {"created", job.created},
          {"updated", job.updated},
          {"plan", job.have_plan ? plan_json(job.plan) : Json(nullptr)},
          {"paragraphs", paras},
          {"text", agentwrite::join_paragraphs(texts)},
          {"progress", progress_locked(job)}};
}

void WriteJobs::enqueue_locked(Job& job) {
  job.run_start = 0;
  set_status_locked(job, "queued");
  queue_.push_back(job.id);
  cv_.notify_all();
}

std::string WriteJobs::create(const JobRequest& r) {
  if (r.instruction.find_first_not_of(" \t\r\n") == std::string::npos)
    fail_input("instruction: expected a non-empty string");
  std::lock_guard lk(mu_);
  if (!available_) fail("the jobs directory {} is used by another longwriter serve", opts_.dir.string());
  if (lock_fd_ < 0 && !lock_dir(opts_.dir, &lock_fd_)) {
    available_ = false;
    fail("the jobs directory {} is used by another longwriter serve", opts_.dir.string());
  }
  auto job = std::make_unique<Job>();
  do job->id = new_job_id();
  while (jobs_.count(job->id));
  job->instruction = r.instruction;
  job->target = r.target_words;
  job->plan_only = r.plan_only;
  job->temperature = r.temperature;
  job->top_p = r.top_p;
  job->seed = r.seed;
  job->created = job->updated = now_s();
  if (!r.plan.empty()) job->adopt_plan(r.plan);
  fs::create_directories(job->folder(opts_.dir));
  Job& j = *job;
  jobs_[j.id] = std::move(job);
  if (j.have_plan && j.plan_only)
    set_status_locked(j, "planned");
  else
    enqueue_locked(j);
  log::info("write job {}: created ({} words asked{})", j.id, j.effective_target(),
            j.have_plan ? ", plan given" : "");
  return j.id;
}

Json WriteJobs::state(const std::string& id) {
  std::lock_guard lk(mu_);
  return state_locked(find_locked(id));
}

Json WriteJobs::snapshot(const std::string& id, int64_t* seq) {
  std::lock_guard lk(mu_);
  const Job& j = find_locked(id);
  *seq = j.seq;
  return state_locked(j);
}

Json WriteJobs::list() {
  std::lock_guard lk(mu_);
  std::vector<const Job*> all;
  for (const auto& [id, j] : jobs_) all.push_back(j.get());
  std::sort(all.begin(), all.end(), [](const Job* a, const Job* b) { return a->created > b->created; });
  Json out = Json::array();
  for (size_t i = 0; i < all.size() && i < opts_.listed; ++i) {
    const Job& j = *all[i];
    Json p = progress_locked(j);
    out.push_back({{"id", j.id},
                   {"instruction", j.instruction.substr(0, 200)},
                   {"status", j.status},
                   {"target_words", j.effective_target()},
                   {"words", p["words"]},
                   {"paragraphs", p["paragraphs"]},
                   {"done", p["done"]},
                   {"created", j.created},
                   {"updated", j.updated}});
  }
  return {{"object", "list"}, {"data", out}};
}

void WriteJobs::cancel(const std::string& id) {
  std::lock_guard lk(mu_);
  Job& j = find_locked(id);
  if (!is_active(j.status)) return;  // nothing to stop: answered as done
  if (running_ == id) {
    cancel_ = true;  // the worker records "cancelled" when the run returns
    return;
  }
  queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
  set_status_locked(j, "cancelled");
}

void WriteJobs::start(const std::string& id) {
  std::lock_guard lk(mu_);
  Job& j = find_locked(id);
  if (is_active(j.status)) return;
  if (j.status == "done")
    throw JobConflict(fmt::format("job {} is done: regenerate a paragraph instead", id));
  j.plan_only = false;
  enqueue_locked(j);
}

void WriteJobs::new_generation_locked(Job& job, const std::function<bool(int)>& keep) {
  const fs::path old_path = job.store_path(opts_.dir, job.generation);
  const fs::path new_path = job.store_path(opts_.dir, job.generation + 1);
  remove_store_files(new_path);  // a leftover of a crash between here and job.json
  {
    agentwrite::Store dst(new_path);
    dst.check_settings(agentwrite::settings_fingerprint(run_config(opts_)));
    if (fs::exists(old_path)) {
      agentwrite::Store src(old_path);
      auto items = src.load({job.key()});
      for (const auto& [step, p] : items[job.key()].paragraphs)
        if (keep(step)) dst.put_paragraph(job.key(), p);
    }
  }
  ++job.generation;
  persist_locked(job);
  remove_store_files(old_path);
  for (size_t k = 0; k < job.paras.size(); ++k)
    if (!keep(static_cast<int>(k))) job.paras[k] = Job::Para{};
}

void WriteJobs::regenerate(const std::string& id, int step, bool rewrite_following) {
  std::unique_lock lk(mu_);
  Job& j = find_locked(id);
  if (is_active(j.status)) throw JobConflict(fmt::format("job {} is {}: cancel it first", id, j.status));
  wait_closed_locked(lk, id);
  if (!j.have_plan || step < 0 || step >= static_cast<int>(j.plan.size()))
    throw InputError(fmt::format("paragraph: expected 1..{} (the job's paragraphs)", j.plan.size()));
  new_generation_locked(j, [&](int s) { return s < step || (s > step && !rewrite_following); });
  j.plan_only = false;
  emit_locked(j, "state", state_locked(j));
  enqueue_locked(j);
}

void WriteJobs::set_plan(const std::string& id, const std::vector<agentwrite::PlanStep>& plan, bool start) {
  if (plan.empty()) fail_input("plan: expected at least one row");
  std::unique_lock lk(mu_);
  Job& j = find_locked(id);
  if (is_active(j.status)) throw JobConflict(fmt::format("job {} is {}: cancel it first", id, j.status));
  wait_closed_locked(lk, id);
  size_t same = 0;  // rows unchanged from the start
  while (j.have_plan && same < plan.size() && same < j.plan.size() &&
         plan[same].main_point == j.plan[same].main_point && plan[same].words == j.plan[same].words)
    ++same;
  std::vector<Job::Para> kept(j.paras.begin(),
                              j.paras.begin() + static_cast<std::ptrdiff_t>(std::min(same, j.paras.size())));
  new_generation_locked(j, [&](int s) { return s < static_cast<int>(same); });
  j.adopt_plan(plan);
  std::copy(kept.begin(), kept.end(), j.paras.begin());
  persist_locked(j);
  emit_locked(j, "plan", {{"plan", plan_json(j.plan)}, {"target_words", j.effective_target()}});
  if (start) {
    j.plan_only = false;
    enqueue_locked(j);
  } else {
    set_status_locked(j, "planned");
  }
}

std::vector<Json> WriteJobs::events(const std::string& id, int64_t after, int wait_ms, bool* active) {
  std::unique_lock lk(mu_);
  Job* j = &find_locked(id);
  cv_.wait_for(lk, std::chrono::milliseconds(wait_ms),
               [&] { return j->seq > after || stopping_ || !is_active(j->status); });
  *active = is_active(j->status) && !stopping_;
  std::vector<Json> out;
  if (j->seq <= after) return out;
  if (j->events.empty() || j->events.front()["seq"].get<int64_t>() > after + 1) {
    out.push_back({{"seq", j->seq}, {"event", "state"}, {"data", state_locked(*j)}});
    return out;
  }
  for (const auto& e : j->events)
    if (e["seq"].get<int64_t>() > after) out.push_back(e);
  return out;
}

bool WriteJobs::wait_idle(const std::string& id, int timeout_ms) {
  std::unique_lock lk(mu_);
  Job* j = &find_locked(id);
  return cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms),
                      [&] { return !is_active(j->status) && running_ != id; });
}

void WriteJobs::wait_closed_locked(std::unique_lock<std::mutex>& lk, const std::string& id) {
  // A job turns idle (its last status) a moment before its run closes the checkpoint; a new
  // generation reads that checkpoint, so it waits for the worker to let go of it.
  cv_.wait(lk, [&] { return running_ != id; });
}

void WriteJobs::work() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string id = queue_.front();
    queue_.pop_front();
    running_ = id;
    cancel_ = false;
    lk.unlock();
    try {
      run_job(id);
    } catch (const std::exception& e) {
      log::warn("write job {}: {}", id, e.what());
      std::lock_guard g(mu_);
      if (!stopping_) set_status_locked(find_locked(id), "failed", e.what());
    }
    lk.lock();
    running_.clear();
    cv_.notify_all();
  }
}

void WriteJobs::run_job(const std::string& id) {
  agentwrite::PipelineConfig cfg = run_config(opts_);
  agentwrite::WorkItem item;
  fs::path store_path;
  std::string key;
  {
    std::lock_guard lk(mu_);
    Job& j = find_locked(id);
    cfg.plan_only = j.plan_only;
    cfg.temperature = j.temperature ? j.temperature : cfg.temperature;
    cfg.top_p = j.top_p ? j.top_p : cfg.top_p;
    cfg.seed = j.seed ? j.seed : cfg.seed;
    item.prompt = j.instruction;
    item.target_words = j.target;
    store_path = j.store_path(opts_.dir, j.generation);
    key = j.key();
    j.run_start = now_s();
    j.run_tokens = j.run_words = j.live_tokens = j.prompt_tokens = j.cached_tokens = 0;
  }
  agentwrite::Store store(store_path);
  store.check_settings(agentwrite::settings_fingerprint(cfg));
  {
    std::lock_guard lk(mu_);
    Job& j = find_locked(id);
    if (!j.have_plan) {  // a plan the last run stored before it could record it here
      const int64_t explicit_target =
          j.target > 0 ? j.target : agentwrite::explicit_target_words(j.instruction);
      for (const auto& p : store.load({key})[key].plans) {
        if (!p.accepted) continue;
        auto pp = agentwrite::parse_plan(p.text, explicit_target, cfg.limits);
        if (pp.ok()) j.adopt_plan(pp.plan.steps);
      }
      if (j.have_plan) persist_locked(j);
    }
    if (j.have_plan && j.plan_only) {
      set_status_locked(j, "planned");
      return;
    }
    if (j.have_plan) {
      std::vector<int64_t> budgets;
      for (const auto& s : j.plan) budgets.push_back(s.words);
      item.plan = agentwrite::format_plan(as_plan(j.plan), budgets);
    }
    set_status_locked(j, j.have_plan ? "writing" : "planning");
  }

  agentwrite::Observer obs;
  obs.on_plan = [&](size_t, const agentwrite::Plan& plan) {
    std::lock_guard lk(mu_);
    Job& j = find_locked(id);
    j.adopt_plan(plan.steps);
    persist_locked(j);
    emit_locked(j, "plan", {{"plan", plan_json(j.plan)}, {"target_words", j.effective_target()}});
    if (!cfg.plan_only) set_status_locked(j, "writing");
  };
  obs.on_delta = [&](size_t, int step, std::string_view d) {
    std::lock_guard lk(mu_);
    Job& j = find_locked(id);
    if (step < 0 || step >= static_cast<int>(j.paras.size())) return;
    j.paras[step].text.append(d);
    ++j.live_tokens;
    emit_locked(j, "delta", {{"paragraph", step + 1}, {"text", std::string(d)}});
    if (now_s() - j.last_progress > 0.5) {
      j.last_progress = now_s();
      emit_locked(j, "progress", progress_locked(j));
    }
  };
  obs.on_paragraph = [&](size_t, int step, const agentwrite::StoredParagraph& p, bool reused) {
    std::lock_guard lk(mu_);
    Job& j = find_locked(id);
    if (step < 0 || step >= static_cast<int>(j.paras.size())) return;
    j.paras[step] = {agentwrite::clean_paragraph(p.text), p.words, true};
    if (!reused) {
      j.run_tokens += p.completion_tokens;
      j.run_words += p.words;
      j.prompt_tokens += p.prompt_tokens;
      j.cached_tokens += p.cached_tokens;
      j.live_tokens = 0;
    }
    emit_locked(j, "paragraph",
                {{"paragraph", step + 1},
                 {"text", j.paras[step].text},
                 {"words", p.words},
                 {"budget", j.plan[step].words}});
    j.last_progress = now_s();
    emit_locked(j, "progress", progress_locked(j));
  };

  CancellableBackend backend(backend_, cancel_);
  std::vector<agentwrite::ItemResult> results;
  std::string error;
  try {
    results = agentwrite::run_pipeline(backend, store, {item}, cfg, obs);
  } catch (const std::exception& e) {
    error = e.what();
  }

  std::lock_guard lk(mu_);
  if (stopping_) return;  // left as it is on disk: resumed at the next start
  Job& j = find_locked(id);
  for (auto& p : j.paras)
    if (!p.done) p = Job::Para{};  // a paragraph cut off by cancel or failure
  if (cancel_) {
    set_status_locked(j, "cancelled");
  } else if (!error.empty()) {
    set_status_locked(j, "failed", error);
  } else {
    const auto& r = results.at(0);
    switch (r.status) {
      case agentwrite::ItemStatus::done:
        set_status_locked(j, "done");
        break;
      case agentwrite::ItemStatus::dropped:
        set_status_locked(j, j.have_plan ? "done" : "failed", r.reason);
        break;
      case agentwrite::ItemStatus::planned:
        set_status_locked(j, "planned");
        break;
      case agentwrite::ItemStatus::failed:
        set_status_locked(j, "failed", r.reason);
        break;
    }
  }
  emit_locked(j, "progress", progress_locked(j));
  log::info("write job {}: {}", id, j.status);
}

}  // namespace lw::serve
