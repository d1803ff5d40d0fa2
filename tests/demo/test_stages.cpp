// The demo's stage records are resumable state: an intact record is reused, an edited one (its
// result no longer matching its sha256) is run again, never used (issue 26).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "demo/stages.hpp"
#include "io/file.hpp"

namespace {

namespace fs = std::filesystem;

TEST(StageCache, AnEditedRecordIsRunAgainNotUsed) {
  const fs::path d = fs::temp_directory_path() / fmt::format("lw_demo_stages_{}", ::getpid());
  fs::remove_all(d);
  int runs = 0;
  auto stage = [&] {
    ++runs;
    return nlohmann::json{{"words", 2000}};
  };
  lw::demo::StageCache(d, {{"seed", 1}}).run("write", stage);
  EXPECT_EQ(lw::demo::StageCache(d, {{"seed", 1}}).run("write", stage)["words"], 2000);
  EXPECT_EQ(runs, 1) << "an intact record is reused";

  const fs::path rec = d / "stages" / "write.json";
  auto j = nlohmann::json::parse(lw::io::read_file(rec));
  j["result"]["words"] = 9000;  // the sha256 left as it was
  lw::io::write_file_atomic(rec, j.dump(2));
  EXPECT_EQ(lw::demo::StageCache(d, {{"seed", 1}}).run("write", stage)["words"], 2000);
  EXPECT_EQ(runs, 2) << "the edited record was used";
  fs::remove_all(d);
}

}  // namespace
