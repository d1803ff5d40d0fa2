#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/jsonl.hpp"
#include "util/error.hpp"

namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() /
               ("lw_io_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write_raw(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

TEST(Jsonl, ReadsRecordsAndNamesFieldErrors) {
  auto d = temp_dir();
  write_raw(d / "pred.jsonl", "{\"length\": 5, \"prompt\": \"a\"}\n\n{\"length\": \"x\"}\n");
  lw::io::JsonlReader r(d / "pred.jsonl");
  lw::io::Record rec;
  ASSERT_TRUE(r.next(rec));
  EXPECT_EQ(rec.get_int("length"), 5);
  EXPECT_EQ(rec.get_string("prompt"), "a");
  ASSERT_TRUE(r.next(rec));
  EXPECT_EQ(rec.line, 3);
  try {
    rec.get_int("length");
    FAIL() << "expected an error";
  } catch (const lw::InputError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "pred.jsonl").string() + ":3: field \"length\": expected integer, got string");
  }
  try {
    rec.get_string("prompt");
    FAIL() << "expected an error";
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(":3: field \"prompt\": missing"), std::string::npos);
  }
  EXPECT_FALSE(r.next(rec));
}

TEST(Jsonl, MalformedLineNamesFileAndLine) {
  auto d = temp_dir();
  write_raw(d / "bad.jsonl", "{\"a\":1}\n{oops}\n");
  lw::io::JsonlReader r(d / "bad.jsonl");
  lw::io::Record rec;
  ASSERT_TRUE(r.next(rec));
  try {
    r.next(rec);
    FAIL();
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2: invalid JSON"), std::string::npos) << e.what();
  }
}

TEST(Jsonl, TornTailToleratedOnlyWhenAsked) {
  auto d = temp_dir();
  write_raw(d / "t.jsonl", "{\"a\":1}\n{\"a\":");
  {
    lw::io::JsonlReader r(d / "t.jsonl");
    r.set_tolerate_torn_tail(true);
    lw::io::Record rec;
    ASSERT_TRUE(r.next(rec));
    EXPECT_FALSE(r.next(rec));
  }
  {
    lw::io::JsonlReader r(d / "t.jsonl");
    lw::io::Record rec;
    ASSERT_TRUE(r.next(rec));
    EXPECT_THROW(r.next(rec), lw::InputError);
  }
}

TEST(Jsonl, AppenderCutsTornLineAndAppends) {
  auto d = temp_dir();
  write_raw(d / "a.jsonl", "{\"i\":0}\n{\"i\":1}\n{\"i\":");
  {
    lw::io::JsonlAppender app(d / "a.jsonl");
    app.append({{"i", 2}});
    app.checkpoint();
  }
  auto recs = lw::io::read_jsonl(d / "a.jsonl");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[2].get_int("i"), 2);
}

TEST(Jsonl, AtomicWriterLeavesTargetUntouchedWithoutCommit) {
  auto d = temp_dir();
  write_raw(d / "out.jsonl", "{\"old\":true}\n");
  {
    lw::io::JsonlWriter w(d / "out.jsonl");
    w.write({{"new", true}});
    // destroyed without commit: simulates a failure midway
  }
  auto recs = lw::io::read_jsonl(d / "out.jsonl");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].value.contains("old"));
  {
    lw::io::JsonlWriter w(d / "out.jsonl");
    w.write({{"new", true}});
    w.commit();
  }
  recs = lw::io::read_jsonl(d / "out.jsonl");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].value.contains("new"));
  for (auto& e : fs::directory_iterator(d)) EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos);
}

TEST(Jsonl, InvalidUtf8IsReplacedOnWrite) {
  lw::io::Json v = {{"t", std::string("a\xFF")}};
  EXPECT_EQ(lw::io::to_line(v), "{\"t\":\"a\xEF\xBF\xBD\"}\n");
}

}  // namespace
