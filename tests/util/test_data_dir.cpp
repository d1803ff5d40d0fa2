// The third-party data: where it is looked for (util/data_dir.hpp), how a missing file is reported,
// scripts/get-data.sh's checksum verification, and the gate that skips or fails needs-data tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli/cli_helpers.hpp"
#include "support/shared_data.hpp"
#include "util/data_dir.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& tag) {
  const fs::path d = fs::temp_directory_path() / ("lw-data-" + tag + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string sha256_of(const std::string& text, const fs::path& scratch) {
  write(scratch, text);
  auto r = lw::testing::run_shell("sha256sum '" + scratch.string() + "'");
  return r.out.substr(0, 64);
}

// Sets an environment variable for the scope of a test.
struct ScopedEnv {
  std::string name;
  std::string old;
  bool had;
  ScopedEnv(std::string n, const std::string& v) : name(std::move(n)) {
    const char* o = std::getenv(name.c_str());
    had = o != nullptr;
    if (had) old = o;
    ::setenv(name.c_str(), v.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had)
      ::setenv(name.c_str(), old.c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

const std::string kGetData = std::string(LW_SOURCE_DIR) + "/scripts/get-data.sh";

}  // namespace

TEST(DataDir, LongwriterDataNamesTheFolderOrItsParent) {
  const auto d = fresh_dir("env");
  fs::create_directories(d / "data" / "longbench");
  {
    ScopedEnv env("LONGWRITER_DATA", d.string());  // a shared-style folder: its data/ is used
    auto s = lw::util::find_data_dir();
    ASSERT_TRUE(s.found);
    EXPECT_EQ(*s.found, (d / "data").lexically_normal());
    ASSERT_EQ(s.tried.size(), 1u) << "LONGWRITER_DATA, when set, is the only place looked at";
  }
  {
    ScopedEnv env("LONGWRITER_DATA", (d / "data").string());  // the data folder itself
    EXPECT_EQ(*lw::util::find_data_dir().found, (d / "data").lexically_normal());
  }
  {
    ScopedEnv env("LONGWRITER_DATA", (d / "absent").string());
    auto s = lw::util::find_data_dir();
    EXPECT_FALSE(s.found);
    ASSERT_EQ(s.tried.size(), 1u);
  }
  fs::remove_all(d);
}

TEST(DataDir, MissingFileNamesEveryPlaceLookedAtAndTheFetchScript) {
  const auto d = fresh_dir("missing");
  ScopedEnv env("LONGWRITER_DATA", d.string());
  try {
    lw::util::require_data_file("longbench/longwrite_ruler.jsonl", "ruler without --data");
    FAIL() << "no error for a missing data file";
  } catch (const lw::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("ruler without --data"), std::string::npos) << msg;
    EXPECT_NE(msg.find((d / "longbench/longwrite_ruler.jsonl").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("scripts/get-data.sh"), std::string::npos) << msg;
  }
  write(d / "longbench/longwrite_ruler.jsonl", "{}\n");
  EXPECT_EQ(lw::util::require_data_file("longbench/longwrite_ruler.jsonl", "ruler"),
            d / "longbench/longwrite_ruler.jsonl");
  fs::remove_all(d);
}

TEST(DataDir, CommandsWithoutDataSayWhereTheyLookedAndExit2) {
  const auto d = fresh_dir("cmd");
  for (const char* cmd : {"ruler --out OUT --base-url http://127.0.0.1:9/v1 --model m",
                          "bench predict --out OUT/pred.jsonl --base-url http://127.0.0.1:9/v1 --model m"}) {
    std::string args = cmd;
    args.replace(args.find("OUT"), 3, (d / "out").string());
    auto r = lw::testing::run_shell("LONGWRITER_DATA='" + d.string() + "' " + lw::testing::longwriter_bin() +
                                    " " + args + " 2>&1 </dev/null");
    EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.out;
    EXPECT_NE(r.out.find(d.string() + "/longbench/"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("get-data.sh"), std::string::npos) << r.out;
  }
  fs::remove_all(d);
}

// get-data.sh against a local mirror (file:// URLs) and a manifest of the test's own files: a
// corrupted file and a missing one are reported and not installed; the good one is; a rerun once
// the mirror is right completes; --check names a file damaged in place.
TEST(GetData, VerifiesChecksumsAndInstallsOnlyVerifiedFiles) {
  const auto d = fresh_dir("fetch");
  const auto mirror = d / "mirror";
  const std::string one = "first file\n", two = "second file\n", three = "third file\n";
  const std::string manifest = (d / "list.sha256").string();
  write(manifest, sha256_of(one, d / "s1") + "  a/one.txt\n" + sha256_of(two, d / "s2") + "  a/two.txt\n" +
                      sha256_of(three, d / "s3") + "  b/three.txt\n");
  write(mirror / "a/one.txt", one);
  write(mirror / "a/two.txt", "second file, corrupted\n");
  // b/three.txt is missing from the mirror
  const std::string env =
      "LW_DATA_BASE_URL='file://" + mirror.string() + "' LW_DATA_MANIFEST='" + manifest + "' ";
  const std::string out = (d / "out").string();

  auto r = lw::testing::run_shell(env + "bash '" + kGetData + "' '" + out + "' 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("a/two.txt: downloaded file"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("expected " + sha256_of(two, d / "s2")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("b/three.txt: download failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 of 3 files"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("without network access"), std::string::npos) << r.out;
  EXPECT_EQ(read(d / "out/data/a/one.txt"), one);
  EXPECT_FALSE(fs::exists(d / "out/data/a/two.txt")) << "a file failing its checksum must not be installed";
  EXPECT_FALSE(fs::exists(d / "out/data/b/three.txt"));
  for (const auto& e : fs::recursive_directory_iterator(d / "out"))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "leftover " << e.path();

  write(mirror / "a/two.txt", two);
  write(mirror / "b/three.txt", three);
  r = lw::testing::run_shell(env + "bash '" + kGetData + "' '" + out + "' 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("all 3 files present and verified"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("a/one.txt ok"), std::string::npos) << "a verified file is not fetched again\n"
                                                           << r.out;
  EXPECT_EQ(read(d / "out/data/b/three.txt"), three);

  write(d / "out/data/a/one.txt", "first file, damaged on disk\n");
  r = lw::testing::run_shell(env + "bash '" + kGetData + "' --check '" + out + "' 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("a/one.txt: checksum mismatch"), std::string::npos) << r.out;
  EXPECT_EQ(read(d / "out/data/a/one.txt"), "first file, damaged on disk\n") << "--check changes nothing";
  // and a fetch run repairs it
  r = lw::testing::run_shell(env + "bash '" + kGetData + "' '" + out + "' 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(read(d / "out/data/a/one.txt"), one);
  fs::remove_all(d);
}

// needs-data: the data folder the tests use holds every file of the committed list with its checksum.
TEST(GetData, CommittedChecksumsMatchTheDataFolder) {
  EXPECT_TRUE(lw::testing::missing_data_files().empty());
  auto r = lw::testing::run_shell("LONGWRITER_DATA='" + lw::testing::data_dir().string() + "' bash '" +
                                  kGetData + "' --check 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("all 16 files present and verified"), std::string::npos) << r.out;
}

// The gate (tests/support/data_gate.cpp) on a needs-data test run by ctest without the data: skipped
// with the hint, or failed under LW_REQUIRE_DATA=1. Runs this program on its own needs-data test.
TEST(DataGate, SkipsWithoutTheDataAndFailsWhenItIsRequired) {
  const auto d = fresh_dir("gate");
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string run = "LW_TEST_NEEDS_DATA=1 LONGWRITER_DATA='" + d.string() + "' '" + self +
                          "' --gtest_filter=GetData.CommittedChecksumsMatchTheDataFolder 2>&1";
  auto r = lw::testing::run_shell("LW_REQUIRE_DATA=0 " + run);
  EXPECT_EQ(r.exit_code, 77) << r.out;  // SKIP_RETURN_CODE: what ctest reports as skipped
  EXPECT_NE(r.out.find("[  SKIPPED ]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("missing longbench/longbench_write.jsonl"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("scripts/get-data.sh"), std::string::npos) << r.out;

  r = lw::testing::run_shell("LW_REQUIRE_DATA=1 " + run);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("vocab/cl100k_base.tiktoken"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("LW_REQUIRE_DATA=1"), std::string::npos) << r.out;

  // without the needs-data flag the gate does nothing: the test runs (and fails on the empty folder)
  r = lw::testing::run_shell("LW_TEST_NEEDS_DATA=0 LONGWRITER_DATA='" + d.string() + "' '" + self +
                             "' --gtest_filter=GetData.CommittedChecksumsMatchTheDataFolder 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(r.out.find("[  SKIPPED ]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[  FAILED  ] GetData.CommittedChecksumsMatchTheDataFolder"), std::string::npos)
      << r.out;
  fs::remove_all(d);
}
