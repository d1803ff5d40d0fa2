// The SQLite checkpoint: persistence, settings check, single-writer lock.
#include <gtest/gtest.h>

#include <filesystem>

#include "agentwrite/store.hpp"
#include "util/error.hpp"

namespace {

namespace aw = lw::agentwrite;
namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("lw_aw_store_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(Store, PersistsPlansAndParagraphs) {
  fs::path db = temp_dir("persist") / "ck.sqlite";
  std::string k1 = aw::item_key("write A", 0), k2 = aw::item_key("write A", 1);
  EXPECT_NE(k1, k2);
  {
    aw::Store s(db);
    s.check_settings(R"({"a":1})");
    s.put_plan(k1, {0, "bad plan", false, "no plan steps found"});
    s.put_plan(k1, {1, "Paragraph 1 - Main Point: x - Word Count: 10 words", true, ""});
    s.put_paragraph(k1, {0, "text 0", 2, "stop", 5, 0.5});
    s.put_failure(k2, -1, "HTTP 500");
  }
  aw::Store s(db);
  s.check_settings(R"({"a":1})");
  auto items = s.load({k1, k2, "other"});
  ASSERT_EQ(items.size(), 3u);
  ASSERT_EQ(items[k1].plans.size(), 2u);
  EXPECT_FALSE(items[k1].plans[0].accepted);
  EXPECT_EQ(items[k1].plans[0].reason, "no plan steps found");
  EXPECT_TRUE(items[k1].plans[1].accepted);
  ASSERT_EQ(items[k1].paragraphs.size(), 1u);
  EXPECT_EQ(items[k1].paragraphs[0].text, "text 0");
  EXPECT_EQ(items[k1].paragraphs[0].words, 2);
  EXPECT_EQ(items[k1].paragraphs[0].completion_tokens, 5);
  EXPECT_TRUE(items[k2].plans.empty());
  EXPECT_EQ(s.failure_count(), 1);
}

TEST(Store, RefusesOtherSettings) {
  fs::path db = temp_dir("settings") / "ck.sqlite";
  { aw::Store(db).check_settings(R"({"parallel":false,"x":1})"); }
  aw::Store s(db);
  try {
    s.check_settings(R"({"parallel":true,"x":1})");
    FAIL() << "expected InputError";
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("parallel"), std::string::npos) << e.what();
  }
}

TEST(Store, OneProcessAtATime) {
  fs::path db = temp_dir("lock") / "ck.sqlite";
  aw::Store a(db);
  EXPECT_THROW(aw::Store b(db), lw::InputError);
}

TEST(Store, UsesWalMode) {
  fs::path db = temp_dir("wal") / "ck.sqlite";
  aw::Store s(db);
  s.put_paragraph("k", {0, "t", 1, "stop", 1, 0});
  EXPECT_TRUE(fs::exists(db.string() + "-wal"));
}

}  // namespace
