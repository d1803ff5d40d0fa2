#pragma once
// AgentWrite as server-side jobs (the writing desk's engine, docs/serve.md "/v1/write"): a job is
// one instruction planned and written paragraph by paragraph by the agentwrite pipeline
// (agentwrite/pipeline.hpp) against a net::ChatBackend, one job at a time on a worker thread.
//
// Each job lives in its own folder under the jobs directory:
//   DIR/<id>/job.json                 what the job is (instruction, target, plan, status), written
//                                     atomically at every change of plan or status
//   DIR/<id>/checkpoint-<gen>.sqlite  the pipeline's checkpoint (agentwrite/store.hpp): every
//                                     finished plan and paragraph, committed as it arrives
// so a job survives a server restart: jobs left queued, planning or writing are resumed when the
// jobs are opened again, and finished paragraphs are never requested twice. Regenerating a
// paragraph (or editing the plan) starts a new checkpoint generation holding the paragraphs kept;
// job.json names the generation in use, so a crash in between leaves the old one valid.
//
// Progress, plan, paragraph deltas and status changes are events (JSON objects with a sequence
// number) that subscribers wait for (the SSE route); a slow subscriber that falls behind the kept
// window gets the whole state again.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agentwrite/pipeline.hpp"
#include "net/chat.hpp"
#include "util/error.hpp"

namespace lw::serve {

struct WriteJobsOptions {
  std::filesystem::path dir;          // the jobs directory (created with the first job)
  std::string model;                  // model name sent in requests ("" = the backend's)
  agentwrite::PipelineConfig config;  // sampling, token caps; parallel and plan_only are set per job
  size_t listed = 50;                 // jobs GET /v1/write lists (newest first)
  size_t kept_events = 4000;          // events kept per job for subscribers that lag
};

// What POST /v1/write asks for (serve/write_routes.cpp parses it).
struct JobRequest {
  std::string instruction;
  int64_t target_words = 0;                // 0: from the instruction, else the plan's total
  bool plan_only = false;                  // stop after the plan (edit it, then start)
  std::vector<agentwrite::PlanStep> plan;  // given rows: no plan request is made
  std::optional<double> temperature, top_p;
  std::optional<int64_t> seed;
};

// Thrown for an unknown job id (404) and for an action the job's state forbids (409).
class JobNotFound : public InputError {
 public:
  using InputError::InputError;
};
class JobConflict : public InputError {
 public:
  using InputError::InputError;
};

// The jobs directory when --jobs-dir is not given: $XDG_STATE_HOME/longwriter/write-jobs, else
// ~/.local/state/longwriter/write-jobs, else ./longwriter-write-jobs.
std::filesystem::path default_jobs_dir();

class WriteJobs {
 public:
  // Opens the jobs under options.dir (when it exists) and resumes the unfinished ones. When another
  // process holds the directory, jobs are disabled (available() is false) with a warning.
  WriteJobs(net::ChatBackend& backend, WriteJobsOptions options);
  // Stops the worker; a job being written stays "writing" on disk and resumes at the next start.
  ~WriteJobs();
  WriteJobs(const WriteJobs&) = delete;
  WriteJobs& operator=(const WriteJobs&) = delete;

  bool available() const { return available_; }
  const std::filesystem::path& dir() const { return opts_.dir; }

  // Starts a job (queued; planned at once when the plan is given and plan_only is set). Returns
  // its id. InputError for an empty instruction or unusable plan rows.
  std::string create(const JobRequest& request);
  // The job's state: id, instruction, target_words, status, plan, paragraphs, text, progress.
  nlohmann::json state(const std::string& id);
  // The newest jobs, without their text.
  nlohmann::json list();
  // Stops a queued or running job (its finished paragraphs are kept); status "cancelled".
  void cancel(const std::string& id);
  // Queues a planned, cancelled or failed job again (finished paragraphs are reused).
  void start(const std::string& id);
  // Rewrites paragraph `step` (0-based; the API counts from 1); with rewrite_following the ones after it too.
  // The job must not be running (JobConflict).
  void regenerate(const std::string& id, int step, bool rewrite_following);
  // Replaces the plan of a job that is not running; paragraphs before the first changed row are
  // kept. With start the job is queued to write.
  void set_plan(const std::string& id, const std::vector<agentwrite::PlanStep>& plan, bool start);

  // Events after `after` (a sequence number), waiting up to `wait_ms` for one. Each event is
  // {"seq", "event", "data"}. When the events after `after` are no longer kept, the first is a
  // "state" event with the whole state. *active is set to whether the job may produce more.
  std::vector<nlohmann::json> events(const std::string& id, int64_t after, int wait_ms, bool* active);
  // The sequence number of the newest event (0: none yet) and the state as of it.
  nlohmann::json snapshot(const std::string& id, int64_t* seq);

  // Waits until the job is no longer queued or running (tests); false on timeout.
  bool wait_idle(const std::string& id, int timeout_ms);

 private:
  struct Job;
  Job& find_locked(const std::string& id);
  void load_all();
  void work();
  void run_job(const std::string& id);
  void persist_locked(const Job& job);
  void emit_locked(Job& job, const std::string& event, nlohmann::json data);
  nlohmann::json state_locked(const Job& job) const;
  nlohmann::json progress_locked(const Job& job) const;
  void set_status_locked(Job& job, const std::string& status, const std::string& error = "");
  void wait_closed_locked(std::unique_lock<std::mutex>& lk, const std::string& id);
  void new_generation_locked(Job& job, const std::function<bool(int step)>& keep);
  void enqueue_locked(Job& job);

  net::ChatBackend& backend_;
  WriteJobsOptions opts_;
  bool available_ = true;
  int lock_fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;  // the queue and every job's events
  std::map<std::string, std::unique_ptr<Job>> jobs_;
  std::deque<std::string> queue_;
  std::string running_;  // id of the job being run ("" none)
  std::atomic<bool> cancel_{false};
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace lw::serve
