#include "agentwrite/store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "io/sha256.hpp"
#include "util/error.hpp"

namespace lw::agentwrite {
namespace {

constexpr int kSchemaVersion = 2;  // 2: every plan and paragraph row carries sum = SHA-256 of its text
constexpr const char* kFreshHint =
    "rerun with --fresh to discard it (its finished requests are redone), or "
    "--checkpoint for a new one";

// A failed SQLite call: damage (corrupt, not a database) is the user's file, exit 2 with the way
// out; anything else a runtime failure.
[[noreturn]] void db_fail(sqlite3* db, const std::string& path, const std::string& what) {
  const int code = sqlite3_errcode(db) & 0xff;
  if (code == SQLITE_FULL)
    fail_input(
        "checkpoint {}: no space left on the device ({}); free some space and rerun: every finished "
        "request is kept",
        path, what);
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
    fail_input("checkpoint {} is damaged ({}: {}); {}", path, what, sqlite3_errmsg(db), kFreshHint);
  fail("checkpoint {}: {}: {}", path, what, sqlite3_errmsg(db));
}

std::string db_path(sqlite3* db) {
  const char* f = sqlite3_db_filename(db, "main");
  return f && *f ? f : ":memory:";
}

struct Stmt {
  sqlite3_stmt* st = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) db_fail(db, db_path(db), "prepare");
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
  if (rc != SQLITE_DONE) db_fail(db, path, "write failed");
}

// A row's step: SQLITE_ROW (true), SQLITE_DONE (false), or the failure.
bool next_row(sqlite3* db, Stmt& s, const std::string& path) {
  int rc = sqlite3_step(s.st);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) db_fail(db, path, "read failed");
  return false;
}

// The checksum stored with each plan and paragraph text.
std::string text_sum(const std::string& text) {
  return io::sha256_hex(text);
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
    if (!memory) check_integrity();
    if (!memory) exec("PRAGMA journal_mode=WAL");
    // WAL + NORMAL: every commit survives a process crash (kill -9); only a power loss can drop
    // the last few commits.
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    exec(
        "CREATE TABLE IF NOT EXISTS plans(item TEXT NOT NULL, attempt INTEGER NOT NULL, text TEXT NOT NULL,"
        " accepted INTEGER NOT NULL, reason TEXT NOT NULL, sum TEXT, PRIMARY KEY(item, attempt))");
    exec(
        "CREATE TABLE IF NOT EXISTS paragraphs(item TEXT NOT NULL, step INTEGER NOT NULL, text TEXT NOT NULL,"
        " words INTEGER NOT NULL, finish_reason TEXT NOT NULL, completion_tokens INTEGER NOT NULL,"
        " seconds REAL NOT NULL, sum TEXT, PRIMARY KEY(item, step))");
    exec(
        "CREATE TABLE IF NOT EXISTS requests(item TEXT NOT NULL, kind TEXT NOT NULL, step INTEGER NOT NULL,"
        " idx INTEGER NOT NULL, attempt INTEGER NOT NULL, text TEXT NOT NULL, words INTEGER NOT NULL,"
        " finish_reason TEXT NOT NULL, completion_tokens INTEGER NOT NULL, seconds REAL NOT NULL,"
        " sum TEXT NOT NULL, PRIMARY KEY(item, kind, step, idx, attempt))");
    exec("CREATE TABLE IF NOT EXISTS failures(id INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL,"
         " step INTEGER NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
    migrate();
  } catch (const InputError&) {
    close_all();
    throw;
  } catch (const Error& e) {
    close_all();
    fail_input("checkpoint {} is not a usable SQLite database: {}; {}", path_, e.what(), kFreshHint);
  }
}

void Store::close_all() {
  if (db_) sqlite3_close(db_);
  db_ = nullptr;
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
}

void Store::check_integrity() {
  // quick_check reads every page (b-tree structure, record formats), not the index contents.
  Stmt q(db_, "PRAGMA quick_check");
  std::string problems;
  while (next_row(db_, q, path_)) {
    std::string line = q.col_text(0);
    if (line == "ok") continue;
    if (!problems.empty()) problems += "; ";
    problems += line;
    if (problems.size() > 300) break;
  }
  if (!problems.empty())
    fail_input("checkpoint {} is damaged (PRAGMA quick_check: {}); {}", path_, problems, kFreshHint);
}

void Store::migrate() {
  int version = 1;
  {
    Stmt q(db_, "SELECT value FROM meta WHERE key='schema_version'");
    if (next_row(db_, q, path_)) version = std::atoi(q.col_text(0).c_str());
  }
  if (version > kSchemaVersion)
    fail_input(
        "checkpoint {} has schema version {}, newer than this longwriter's {}; use a newer longwriter "
        "or --fresh",
        path_, version, kSchemaVersion);
  if (version == kSchemaVersion) return;
  // Version 1 (no row checksums): add the column and seal the rows as they are now.
  for (const char* table : {"plans", "paragraphs"}) {
    bool has_sum = false;
    {
      Stmt cols(db_, fmt::format("PRAGMA table_info({})", table).c_str());
      while (next_row(db_, cols, path_)) has_sum = has_sum || cols.col_text(1) == "sum";
    }
    if (!has_sum) exec(fmt::format("ALTER TABLE {} ADD COLUMN sum TEXT", table).c_str());
    std::vector<std::pair<int64_t, std::string>> rows;
    {
      Stmt q(db_, fmt::format("SELECT rowid, text FROM {} WHERE sum IS NULL", table).c_str());
      while (next_row(db_, q, path_)) rows.emplace_back(sqlite3_column_int64(q.st, 0), q.col_text(1));
    }
    for (const auto& [rowid, text] : rows) {
      Stmt u(db_, fmt::format("UPDATE {} SET sum=? WHERE rowid=?", table).c_str());
      u.text(1, text_sum(text));
      u.integer(2, rowid);
      step_done(db_, u, path_);
    }
  }
  Stmt v(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)");
  v.text(1, std::to_string(kSchemaVersion));
  step_done(db_, v, path_);
}

Store::~Store() {
  close_all();
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
  if (next_row(db_, q, path_)) {
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
    Stmt q(db_, "SELECT item, attempt, text, accepted, reason, sum FROM plans ORDER BY item, attempt");
    while (next_row(db_, q, path_)) {
      auto it = out.find(q.col_text(0));
      if (it == out.end()) continue;
      StoredPlan p{sqlite3_column_int(q.st, 1), q.col_text(2), sqlite3_column_int(q.st, 3) != 0,
                   q.col_text(4)};
      check_sum(q.col_text(5), p.text, fmt::format("plans row (item {}, attempt {})", it->first, p.attempt));
      it->second.plans.push_back(std::move(p));
    }
  }
  Stmt q(db_,
         "SELECT item, step, text, words, finish_reason, completion_tokens, seconds, sum FROM paragraphs");
  while (next_row(db_, q, path_)) {
    auto it = out.find(q.col_text(0));
    if (it == out.end()) continue;
    StoredParagraph p;
    p.step = sqlite3_column_int(q.st, 1);
    p.text = q.col_text(2);
    check_sum(q.col_text(7), p.text, fmt::format("paragraphs row (item {}, step {})", it->first, p.step));
    p.words = sqlite3_column_int64(q.st, 3);
    p.finish_reason = q.col_text(4);
    p.completion_tokens = sqlite3_column_int64(q.st, 5);
    p.seconds = sqlite3_column_double(q.st, 6);
    it->second.paragraphs[p.step] = std::move(p);
  }
  Stmt r(db_,
         "SELECT item, kind, step, idx, attempt, text, words, finish_reason, completion_tokens, seconds, sum"
         " FROM requests");
  while (next_row(db_, r, path_)) {
    auto it = out.find(r.col_text(0));
    if (it == out.end()) continue;
    StoredRequest x;
    x.kind = r.col_text(1);
    x.step = sqlite3_column_int(r.st, 2);
    x.index = sqlite3_column_int(r.st, 3);
    x.attempt = sqlite3_column_int(r.st, 4);
    x.text = r.col_text(5);
    check_sum(r.col_text(10), x.text,
              fmt::format("requests row (item {}, {} step {} index {} attempt {})", it->first, x.kind, x.step,
                          x.index, x.attempt));
    x.words = sqlite3_column_int64(r.st, 6);
    x.finish_reason = r.col_text(7);
    x.completion_tokens = sqlite3_column_int64(r.st, 8);
    x.seconds = sqlite3_column_double(r.st, 9);
    it->second.requests[request_key(x)] = std::move(x);
  }
  return out;
}

void Store::check_sum(const std::string& stored, const std::string& text, const std::string& row) const {
  if (stored != text_sum(text))
    fail_input(
        "checkpoint {}: {}: column \"text\" does not match its checksum (sum {}, the text hashes to {}): "
        "the stored text was altered or damaged; {}",
        path_, row, stored.empty() ? "missing" : stored, text_sum(text), kFreshHint);
}

void Store::put_plan(const std::string& key, const StoredPlan& plan) {
  std::lock_guard lk(mu_);
  Stmt s(db_, "INSERT OR REPLACE INTO plans(item, attempt, text, accepted, reason, sum) VALUES(?,?,?,?,?,?)");
  s.text(1, key);
  s.integer(2, plan.attempt);
  s.text(3, plan.text);
  s.integer(4, plan.accepted ? 1 : 0);
  s.text(5, plan.reason);
  s.text(6, text_sum(plan.text));
  step_done(db_, s, path_);
}

void Store::put_paragraph(const std::string& key, const StoredParagraph& p) {
  std::lock_guard lk(mu_);
  Stmt s(db_,
         "INSERT OR REPLACE INTO paragraphs(item, step, text, words, finish_reason, completion_tokens, "
         "seconds, sum)"
         " VALUES(?,?,?,?,?,?,?,?)");
  s.text(1, key);
  s.integer(2, p.step);
  s.text(3, p.text);
  s.integer(4, p.words);
  s.text(5, p.finish_reason);
  s.integer(6, p.completion_tokens);
  s.real(7, p.seconds);
  s.text(8, text_sum(p.text));
  step_done(db_, s, path_);
}

void Store::put_request(const std::string& key, const StoredRequest& x) {
  std::lock_guard lk(mu_);
  Stmt s(db_,
         "INSERT OR REPLACE INTO requests(item, kind, step, idx, attempt, text, words, finish_reason,"
         " completion_tokens, seconds, sum) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  s.text(1, key);
  s.text(2, x.kind);
  s.integer(3, x.step);
  s.integer(4, x.index);
  s.integer(5, x.attempt);
  s.text(6, x.text);
  s.integer(7, x.words);
  s.text(8, x.finish_reason);
  s.integer(9, x.completion_tokens);
  s.real(10, x.seconds);
  s.text(11, text_sum(x.text));
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
  return next_row(db_, q, path_) ? sqlite3_column_int64(q.st, 0) : 0;
}

}  // namespace lw::agentwrite
