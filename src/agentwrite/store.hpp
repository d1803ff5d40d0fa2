#pragma once
// The durable checkpoint of an AgentWrite run: every finished plan request and paragraph is
// committed to SQLite (WAL mode) as soon as it arrives, so a rerun resumes exactly where the last
// one stopped and a kill -9 loses at most the requests in flight. One process at a time may use a
// store (an exclusive flock on the database file; released by the kernel if the process dies).
//
// Items are keyed by a hash of their instruction plus its occurrence number, so reordering the
// input keeps the work that was done. The run's settings that shape prompts (templates, parallel,
// length control) are recorded; reopening with different settings is refused.
//
// Damage is caught, never used: opening runs PRAGMA quick_check, and every plan, paragraph and
// request row carries the SHA-256 of its text (column sum, schema version 2), checked when the row is loaded.
// Either failure is an InputError naming the checkpoint (and the row) and --fresh. A version-1
// checkpoint (no sums) is migrated on open: the column is added and its rows sealed as they are.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

struct sqlite3;

namespace lw::agentwrite {

struct StoredPlan {
  int attempt = 0;
  std::string text;
  bool accepted = false;
  std::string reason;  // why it was rejected
};

struct StoredParagraph {
  int step = 0;
  std::string text;           // as the model wrote it
  int64_t words = 0;          // words of the cleaned paragraph
  std::string finish_reason;
  int64_t completion_tokens = 0;
  double seconds = 0;
  // Of this run's request only (not stored): the token cap it was given (0: none), whether it was
  // cut by it (and so ended at its last full sentence), and the backend's usage and time split.
  int64_t token_cap = 0;
  bool capped = false;
  int64_t prompt_tokens = 0, cached_tokens = 0;
  double prefill_seconds = 0, decode_seconds = 0;
};

// Any other finished request (table requests, added with refine and pairs): a critique or a
// revision of a paragraph, a candidate continuation, a judge's answer. Identified by its kind, step,
// index (a candidate's number) and attempt (a judge asked again).
struct StoredRequest {
  std::string kind;  // "critique", "revision", "candidate", "judge", ...
  int step = 0;      // the plan step (-2: the whole text)
  int index = 0;
  int attempt = 0;
  std::string text;  // as the model wrote it (a capped revision already ended at a full sentence)
  int64_t words = 0;
  std::string finish_reason;
  int64_t completion_tokens = 0;
  double seconds = 0;
};
using RequestKey = std::tuple<std::string, int, int, int>;  // kind, step, index, attempt
inline RequestKey request_key(const StoredRequest& r) {
  return {r.kind, r.step, r.index, r.attempt};
}

struct StoredItem {
  std::vector<StoredPlan> plans;                 // by attempt
  std::map<int, StoredParagraph> paragraphs;     // by step
  std::map<RequestKey, StoredRequest> requests;  // every other kind of request
};

class Store {
 public:
  // ":memory:" gives a private in-memory store (for single writes without a checkpoint).
  explicit Store(const std::filesystem::path& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Records the settings on first use; throws InputError naming the differences when the store
  // was made with other settings.
  void check_settings(const std::string& settings_json);

  // Everything stored for these item keys (absent keys map to empty items).
  std::map<std::string, StoredItem> load(const std::vector<std::string>& keys);

  void put_plan(const std::string& key, const StoredPlan& plan);
  void put_paragraph(const std::string& key, const StoredParagraph& p);
  void put_request(const std::string& key, const StoredRequest& r);
  void put_failure(const std::string& key, int step, const std::string& message);
  int64_t failure_count();

  const std::string& path() const { return path_; }

 private:
  void exec(const char* sql);
  void close_all();
  void check_integrity();
  void migrate();
  void check_sum(const std::string& stored, const std::string& text, const std::string& row) const;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  int lock_fd_ = -1;
  std::string path_;
};

// The key of an instruction: 16 hex digits of its FNV-1a 64 hash, '-', its occurrence number.
std::string item_key(const std::string& prompt, int occurrence);

}  // namespace lw::agentwrite
