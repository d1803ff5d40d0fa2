#include "agentwrite/store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace lw::agentwrite {
namespace {

struct Stmt {
  sqlite3_stmt* st = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) fail("checkpoint: {}", sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(st); }
  void text(int i, const std::string& s) { sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT); }
  void integer(int i, int64_t v) { sqlite3_bind_int64(st, i, v); }
  void real(int i, double v) { sqlite3_bind_double(st, i, v); }
  std::string col_text(int i) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st, i))) : std::string();
  }
};

void step_done(sqlite3* db, Stmt& s, const std::string& path) {
  int rc = sqlite3_step(s.st);
  if (rc != SQLITE_DONE) fail("checkpoint {}: write failed: {}", path, sqlite3_errmsg(db));
}

}  // namespace

std::string item_key(const std::string& prompt, int occurrence) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : prompt) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}-{}", h, occurrence);
}

Store::Store(const std::filesystem::path& path) : path_(path.string()) {
  bool memory = path_ == ":memory:";
  if (!memory) {
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    lock_fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) fail("cannot open checkpoint {}: {}", path_, std::strerror(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock_fd_);
      lock_fd_ = -1;
      fail_input("checkpoint {} is in use by another running agentwrite (wait for it, or use --checkpoint)", path_);
    }
  }
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail("cannot open checkpoint {}: {}", path_, msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    if (!memory) exec("PRAGMA journal_mode=WAL");
    // WAL + NORMAL: every commit survives a process crash (kill -9); only a power loss can drop
    // the last few commits.
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS plans(item TEXT NOT NULL, attempt INTEGER NOT NULL, text TEXT NOT NULL,"
         " accepted INTEGER NOT NULL, reason TEXT NOT NULL, PRIMARY KEY(item, attempt))");
    exec("CREATE TABLE IF NOT EXISTS paragraphs(item TEXT NOT NULL, step INTEGER NOT NULL, text TEXT NOT NULL,"
         " words INTEGER NOT NULL, finish_reason TEXT NOT NULL, completion_tokens INTEGER NOT NULL,"
         " seconds REAL NOT NULL, PRIMARY KEY(item, step))");
    exec("CREATE TABLE IF NOT EXISTS failures(id INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL,"
         " step INTEGER NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
  } catch (const Error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    if (lock_fd_ >= 0) ::close(lock_fd_);
    fail("checkpoint {} is not a usable SQLite database: {}", path_, e.what());
  }
}

Store::~Store() {
  if (db_) sqlite3_close(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    fail("{}", msg);
  }
}

void Store::check_settings(const std::string& settings_json) {
  std::lock_guard lk(mu_);
  Stmt q(db_, "SELECT value FROM meta WHERE key='settings'");
  if (sqlite3_step(q.st) == SQLITE_ROW) {
    std::string old = q.col_text(0);
    if (old == settings_json) return;
    std::string diff;
    try {
      auto a = nlohmann::json::parse(old), b = nlohmann::json::parse(settings_json);
      for (auto it = b.begin(); it != b.end(); ++it)
        if (!a.contains(it.key()) || a[it.key()] != it.value()) diff += (diff.empty() ? "" : ", ") + it.key();
    } catch (...) {
      diff = "unreadable settings";
    }
    fail_input("checkpoint {} was made with different settings ({}); rerun with the same settings, use "
               "--fresh to discard it, or --checkpoint for a new one",
               path_, diff);
  }
  Stmt ins(db_, "INSERT INTO meta(key, value) VALUES('settings', ?)");
  ins.text(1, settings_json);
  step_done(db_, ins, path_);
}

std::map<std::string, StoredItem> Store::load(const std::vector<std::string>& keys) {
  std::lock_guard lk(mu_);
  std::map<std::string, StoredItem> out;
  for (const auto& k : keys) out[k];
  {
    Stmt q(db_, "SELECT item, attempt, text, accepted, reason FROM plans ORDER BY item, attempt");
    while (sqlite3_step(q.st) == SQLITE_ROW) {
      auto it = out.find(q.col_text(0));
      if (it == out.end()) continue;
      it->second.plans.push_back({sqlite3_column_int(q.st, 1), q.col_text(2), sqlite3_column_int(q.st, 3) != 0,
                                  q.col_text(4)});
    }
  }
  Stmt q(db_, "SELECT item, step, text, words, finish_reason, completion_tokens, seconds FROM paragraphs");
  while (sqlite3_step(q.st) == SQLITE_ROW) {
    auto it = out.find(q.col_text(0));
    if (it == out.end()) continue;
    StoredParagraph p;
    p.step = sqlite3_column_int(q.st, 1);
    p.text = q.col_text(2);
    p.words = sqlite3_column_int64(q.st, 3);
    p.finish_reason = q.col_text(4);
    p.completion_tokens = sqlite3_column_int64(q.st, 5);
    p.seconds = sqlite3_column_double(q.st, 6);
    it->second.paragraphs[p.step] = std::move(p);
  }
  return out;
}

void Store::put_plan(const std::string& key, const StoredPlan& plan) {
  std::lock_guard lk(mu_);
  Stmt s(db_, "INSERT OR REPLACE INTO plans(item, attempt, text, accepted, reason) VALUES(?,?,?,?,?)");
  s.text(1, key);
  s.integer(2, plan.attempt);
  s.text(3, plan.text);
  s.integer(4, plan.accepted ? 1 : 0);
  s.text(5, plan.reason);
  step_done(db_, s, path_);
}

void Store::put_paragraph(const std::string& key, const StoredParagraph& p) {
  std::lock_guard lk(mu_);
  Stmt s(db_,
         "INSERT OR REPLACE INTO paragraphs(item, step, text, words, finish_reason, completion_tokens, seconds)"
         " VALUES(?,?,?,?,?,?,?)");
  s.text(1, key);
  s.integer(2, p.step);
  s.text(3, p.text);
  s.integer(4, p.words);
  s.text(5, p.finish_reason);
  s.integer(6, p.completion_tokens);
  s.real(7, p.seconds);
  step_done(db_, s, path_);
}

void Store::put_failure(const std::string& key, int step, const std::string& message) {
  std::lock_guard lk(mu_);
  Stmt s(db_, "INSERT INTO failures(item, step, message) VALUES(?,?,?)");
  s.text(1, key);
  s.integer(2, step);
  s.text(3, message);
  step_done(db_, s, path_);
}

int64_t Store::failure_count() {
  std::lock_guard lk(mu_);
  Stmt q(db_, "SELECT COUNT(*) FROM failures");
  return sqlite3_step(q.st) == SQLITE_ROW ? sqlite3_column_int64(q.st, 0) : 0;
}

}  // namespace lw::agentwrite
