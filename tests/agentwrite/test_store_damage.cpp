// A damaged AgentWrite checkpoint is caught before its contents are used (issue 26): scribbled
// pages at open (PRAGMA quick_check), an edited plan or paragraph when its row is loaded (the
// row's SHA-256), each an InputError naming the checkpoint and --fresh; a checkpoint of the
// previous schema (no checksums) is migrated and keeps working.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "agentwrite/store.hpp"
#include "util/error.hpp"

namespace {

namespace aw = lw::agentwrite;
namespace fs = std::filesystem;

// A fresh directory for one test's checkpoint, removed when the test ends (declared first, so after
// every Store of the test is closed).
struct TempDb {
  fs::path path;
  explicit TempDb(const std::string& name) {
    fs::path d = fs::temp_directory_path() / fmt::format("lw_aw_damage_{}_{}", name, ::getpid());
    fs::remove_all(d);
    fs::create_directories(d);
    path = d / "ck.sqlite";
  }
  ~TempDb() {
    std::error_code ec;
    fs::remove_all(path.parent_path(), ec);
  }
};

void sql(const fs::path& db, const std::string& statement) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

std::string paragraph(int i) {
  return fmt::format("paragraph {:04d} ", i) + std::string(400, 'a' + i % 26);
}

void fill(const fs::path& db, const std::string& key, int n) {
  aw::Store s(db);
  s.check_settings(R"({"a":1})");
  s.put_plan(key, {0, "Paragraph 1 - Main Point: x - Word Count: 10 words", true, ""});
  for (int i = 0; i < n; i++) s.put_paragraph(key, {i, paragraph(i), 60, "stop", 80, 0.5});
}

// The InputError that constructing or loading throws, as text ("" when none).
template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const lw::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(StoreDamage, ScribbledPagesAreRefusedAtOpenNamingFresh) {
  const TempDb tmp("scribble");
  const fs::path& db = tmp.path;
  const std::string key = aw::item_key("write", 0);
  fill(db, key, 120);  // ~50 KB: a dozen pages of the paragraphs table
  ASSERT_FALSE(fs::exists(db.string() + "-wal")) << "the last close checkpoints the WAL";
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    uint32_t r = 7;
    for (int page = 3; page <= 6; page++) {
      f.seekp(page * 4096L);
      for (int i = 0; i < 4096; i++) f.put(static_cast<char>((r = r * 1664525u + 1013904223u) >> 24));
    }
  }
  const std::string e = input_error([&] { aw::Store s(db); });
  ASSERT_FALSE(e.empty()) << "a scribbled checkpoint opened without complaint";
  EXPECT_NE(e.find(db.string()), std::string::npos) << e;
  EXPECT_NE(e.find("damaged"), std::string::npos) << e;
  EXPECT_NE(e.find("--fresh"), std::string::npos) << e;
}

TEST(StoreDamage, AScribbledHeaderIsRefusedNamingFresh) {
  const TempDb tmp("header");
  const fs::path& db = tmp.path;
  fill(db, aw::item_key("write", 0), 3);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.write("not a database at al", 20);
  }
  const std::string e = input_error([&] { aw::Store s(db); });
  EXPECT_NE(e.find("--fresh"), std::string::npos) << e;
}

TEST(StoreDamage, ASameLengthEditOfAParagraphIsDetectedWhenLoaded) {
  const TempDb tmp("edit");
  const fs::path& db = tmp.path;
  const std::string key = aw::item_key("write", 0);
  fill(db, key, 3);
  const std::string before = paragraph(1), after = "PARAGRAPH" + before.substr(9);
  ASSERT_EQ(before.size(), after.size());
  sql(db, fmt::format("UPDATE paragraphs SET text='{}' WHERE step=1", after));
  aw::Store s(db);  // the file itself is sound
  const std::string e = input_error([&] { s.load({key}); });
  ASSERT_FALSE(e.empty()) << "the edited paragraph was loaded";
  EXPECT_NE(e.find("paragraphs row"), std::string::npos) << e;
  EXPECT_NE(e.find("step 1"), std::string::npos) << e;
  EXPECT_NE(e.find("--fresh"), std::string::npos) << e;
}

TEST(StoreDamage, AnEditedPlanIsDetectedWhenLoaded) {
  const TempDb tmp("plan");
  const fs::path& db = tmp.path;
  const std::string key = aw::item_key("write", 0);
  fill(db, key, 1);
  sql(db, "UPDATE plans SET text=replace(text, '10 words', '90 words')");
  aw::Store s(db);
  const std::string e = input_error([&] { s.load({key}); });
  EXPECT_NE(e.find("plans row"), std::string::npos) << e;
}

TEST(StoreDamage, ACheckpointWithoutChecksumsIsMigrated) {
  const TempDb tmp("migrate");
  const fs::path& db = tmp.path;
  const std::string key = aw::item_key("write", 0);
  // The schema before checksums (version 1), as an older longwriter wrote it.
  sql(db,
      "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE plans(item TEXT NOT NULL, attempt INTEGER NOT NULL, text TEXT NOT NULL, accepted INTEGER "
      "NOT "
      "NULL, reason TEXT NOT NULL, PRIMARY KEY(item, attempt));"
      "CREATE TABLE paragraphs(item TEXT NOT NULL, step INTEGER NOT NULL, text TEXT NOT NULL, words INTEGER "
      "NOT "
      "NULL, finish_reason TEXT NOT NULL, completion_tokens INTEGER NOT NULL, seconds REAL NOT NULL, "
      "PRIMARY KEY(item, step));" +
          fmt::format("INSERT INTO paragraphs VALUES('{}', 0, 'old text', 2, 'stop', 3, 0.1);", key));
  {
    aw::Store s(db);
    auto items = s.load({key});
    ASSERT_EQ(items[key].paragraphs.size(), 1u);
    EXPECT_EQ(items[key].paragraphs[0].text, "old text");
  }
  sql(db, "UPDATE paragraphs SET text='OLD text'");
  aw::Store s(db);
  EXPECT_NE(input_error([&] { s.load({key}); }).find("paragraphs row"), std::string::npos);
}

}  // namespace
