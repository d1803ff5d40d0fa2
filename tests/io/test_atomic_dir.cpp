// Directories replaced, never destroyed (io/atomic_dir.hpp), and directories that carry their own
// proof (io/dir_manifest.hpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "io/atomic_dir.hpp"
#include "io/dir_manifest.hpp"
#include "io/file.hpp"
#include "util/error.hpp"

namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / fmt::format("lw_atomic_dir_{}_{}", name, ::getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void spit(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

std::vector<std::string> names(const fs::path& d) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(d)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AtomicDir, CommitSwapsTheNewVersionInWhole) {
  const fs::path d = temp_dir("commit");
  fs::create_directories(d / "out");
  spit(d / "out" / "old.txt", "old");
  {
    lw::io::AtomicDir a(d / "out");
    EXPECT_EQ(a.path().parent_path(), d);
    lw::io::write_file_atomic(a.path() / "new.txt", "new");
    EXPECT_EQ(names(d / "out"), std::vector<std::string>{"old.txt"});  // untouched until commit
    a.commit();
  }
  EXPECT_EQ(names(d / "out"), std::vector<std::string>{"new.txt"});
  EXPECT_EQ(names(d), std::vector<std::string>{"out"});  // the old version is gone
  fs::remove_all(d);
}

TEST(AtomicDir, WithoutCommitTheOldVersionStaysAndNothingIsLeft) {
  const fs::path d = temp_dir("abort");
  fs::create_directories(d / "out");
  spit(d / "out" / "old.txt", "old");
  try {
    lw::io::AtomicDir a(d / "out");
    spit(a.path() / "half.txt", "hal");
    throw std::runtime_error("a failure mid-write");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(names(d / "out"), std::vector<std::string>{"old.txt"});
  EXPECT_EQ(names(d), std::vector<std::string>{"out"});
  // A first version: nothing at all when it fails.
  { lw::io::AtomicDir a(d / "first"); }
  EXPECT_FALSE(fs::exists(d / "first"));
  fs::remove_all(d);
}

TEST(AtomicDir, SweepsOnlyItsTargetsStagingOfDeadRuns) {
  const fs::path d = temp_dir("sweep");
  // pid 2^22 + 1 is above the default pid_max: no live process has it.
  fs::create_directories(d / "out.tmp.4194305" / "x");
  fs::create_directories(d / "other.tmp.4194305");
  spit(d / "notes.tmp.4194305", "someone else's");
  { lw::io::AtomicDir a(d / "out"); }
  EXPECT_EQ(names(d), (std::vector<std::string>{"notes.tmp.4194305", "other.tmp.4194305"}));
  fs::remove_all(d);
}

TEST(DirManifest, VerifiesAndNamesEachKindOfDamage) {
  const fs::path d = temp_dir("manifest");
  spit(d / "a.bin", std::string(1000, 'a'));
  spit(d / "b.json", "{\"x\": 1}");
  lw::io::write_dir_manifest(d, {"a.bin", "b.json"});
  EXPECT_NO_THROW(lw::io::verify_dir_manifest(d, {"a.bin", "b.json"}));
  auto error = [&] {
    try {
      lw::io::verify_dir_manifest(d, {"a.bin", "b.json"});
    } catch (const lw::InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // A flipped bit, then a truncation, then a missing file, then a missing manifest.
  spit(d / "a.bin", std::string(999, 'a') + "c");
  EXPECT_NE(error().find("a.bin: sha256"), std::string::npos) << error();
  spit(d / "a.bin", std::string(500, 'a'));
  EXPECT_NE(error().find("a.bin: bytes: 500 on disk, expected 1000"), std::string::npos) << error();
  fs::remove(d / "a.bin");
  EXPECT_NE(error().find("a.bin: listed in"), std::string::npos) << error();
  spit(d / "a.bin", std::string(1000, 'a'));
  EXPECT_EQ(error(), "");
  EXPECT_NE(
      [&] {
        try {
          lw::io::verify_dir_manifest(d, {"a.bin", "c.bin"});
        } catch (const lw::InputError& e) {
          return std::string(e.what());
        }
        return std::string();
      }()
          .find("does not list c.bin"),
      std::string::npos);
  fs::remove(d / "manifest.json");
  EXPECT_NE(error().find("manifest.json: missing"), std::string::npos) << error();
  fs::remove_all(d);
}

TEST(WriteFilesAtomic, AFailureBeforeTheLastFileLeavesEveryOldVersion) {
  const fs::path d = temp_dir("files");
  lw::io::write_files_atomic(d, {{"report.json", "old json"}, {"report.md", "old md"}});
  spit(d / "blocker", "a file where a directory is needed");
  EXPECT_ANY_THROW(
      lw::io::write_files_atomic(d, {{"report.json", "new json"}, {"blocker/report.md", "new md"}}));
  EXPECT_EQ(lw::io::read_file(d / "report.json"), "old json");
  EXPECT_EQ(lw::io::read_file(d / "report.md"), "old md");
  EXPECT_EQ(names(d), (std::vector<std::string>{"blocker", "report.json", "report.md"}));
  lw::io::write_files_atomic(d, {{"report.json", "new json"}, {"report.md", "new md"}});
  EXPECT_EQ(lw::io::read_file(d / "report.md"), "new md");
  fs::remove_all(d);
}

}  // namespace
