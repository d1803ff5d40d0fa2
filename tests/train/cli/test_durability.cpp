// Nothing silently wrong (issue 26), through the longwriter binary: a damaged training checkpoint
// stops the resume with exit code 2 naming the file and the field (or, with --resume-from-valid,
// is skipped for the newest one that verifies); a full disk at any write of `train` or `pack`
// (LW_FAULT_ENOSPC_AFTER_BYTES) ends with exit code 2 and one clear message, and leaves the
// previous checkpoint or pack complete. docs/reliability.md lists each promise with its test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/cli_helpers.hpp"
#include "io/dir_manifest.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "tiny_run.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw::testing::tiny_run;
using lw::testing::run_longwriter;
using lw::testing::run_shell;
using lw::testing::RunResult;
using nlohmann::json;

const std::vector<std::string> kCkptFiles = {"model.safetensors", "optimizer.safetensors", "state.json"};

// The first run of the reproduction: 8 steps planned, checkpoints every 2, stopped after 4.
std::string train_args(const fs::path& dir, const fs::path& out,
                       const std::string& extra = "--stop-after 4") {
  return fmt::format(
      "train --data {} --model {} --max-steps 8 --save-every 2 --keep-checkpoints 0 --batch-packs 1 "
      "--seed 3 --threads 1 --log-every 0 --out {} {}",
      q(dir / "pack"), q(dir / "init" / "config.json"), q(out), extra);
}

RunResult with_enospc_after(size_t bytes, const std::string& args) {
  return run_shell(fmt::format("LW_FAULT_ENOSPC_AFTER_BYTES={} {} {} 2>&1 < /dev/null", bytes,
                               lw::testing::longwriter_bin(), args));
}

std::string slurp(const fs::path& p) {
  return lw::io::read_file(p);
}

void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) out.push_back(e.path().string());
  return out;
}

std::vector<double> losses(const fs::path& run) {
  std::vector<double> out;
  for (const auto& r : lw::io::read_jsonl(run / "metrics.jsonl"))
    out.push_back(r.value.at("loss").get<double>());
  return out;
}

class Durability : public ::testing::Test {
 protected:
  static fs::path dir_;
  static std::string setup_error_;

  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("lw_durability_{}", ::getpid());
    fs::remove_all(dir_);
    write_inputs(dir_);
    auto p = run_longwriter(pack_args(dir_, dir_ / "pack"));
    if (p.exit_code != 0) {
      setup_error_ = "pack failed: " + p.out;
      return;
    }
    auto t = run_longwriter(train_args(dir_, dir_ / "golden"));
    if (t.exit_code != 0) setup_error_ = "train failed: " + t.out;
  }
  static void TearDownTestSuite() {
    if (!std::getenv("LW_KEEP_TEST_DIR")) fs::remove_all(dir_);
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  // A copy of the stopped run (checkpoints at steps 2 and 4) to damage.
  fs::path fresh_copy(const std::string& name) {
    fs::path out = dir_ / name;
    fs::remove_all(out);
    fs::copy(dir_ / "golden", out, fs::copy_options::recursive);
    return out;
  }
  static fs::path ckpt(const fs::path& run, int step) {
    return run / "checkpoints" / fmt::format("step-{:08d}", step);
  }
  // Rerunning the first command: the resume must refuse, exit 2, naming every piece of `want`.
  void expect_refused(const fs::path& run, const std::vector<std::string>& want, const std::string& what) {
    auto r = run_longwriter(train_args(dir_, run));
    EXPECT_EQ(r.exit_code, 2) << what << "\n" << r.out;
    for (const auto& w : want)
      EXPECT_NE(r.out.find(w), std::string::npos) << what << ": no '" << w << "' in\n" << r.out;
    EXPECT_NE(r.out.find("--resume-from-valid"), std::string::npos) << what << "\n" << r.out;
    EXPECT_EQ(r.out.find("not finite"), std::string::npos) << what << "\n" << r.out;
  }
};

fs::path Durability::dir_;
std::string Durability::setup_error_;

TEST_F(Durability, CheckpointCarriesAManifestThatVerifies) {
  for (int step : {2, 4}) {
    EXPECT_NO_THROW(lw::io::verify_dir_manifest(ckpt(dir_ / "golden", step), kCkptFiles)) << step;
  }
  EXPECT_EQ(slurp(dir_ / "golden" / "checkpoints" / "latest"), "step-00000004\n");
  EXPECT_EQ(temporaries(dir_ / "golden"), std::vector<std::string>{});
}

// The reproductions: 1,000 floats overwritten (same length) and random bytes.
TEST_F(Durability, OverwrittenFloatsOrRandomBytesAreRefusedNamingTheFile) {
  for (const char* file : {"model.safetensors", "optimizer.safetensors"}) {
    fs::path run = fresh_copy(fmt::format("floats-{}", file));
    fs::path f = ckpt(run, 4) / file;
    std::string bytes = slurp(f);
    ASSERT_GT(bytes.size(), 4000u + 512u);
    const float x = 0.5f;
    for (size_t i = 0; i < 1000; i++) std::memcpy(bytes.data() + bytes.size() - 4000 + 4 * i, &x, 4);
    spit(f, bytes);
    expect_refused(run, {f.string(), "sha256"}, std::string("1000 floats in ") + file);

    run = fresh_copy(fmt::format("random-{}", file));
    f = ckpt(run, 4) / file;
    bytes = slurp(f);
    uint32_t r = 12345;
    for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 256; i++)
      bytes[i] = char((r = r * 1664525u + 1013904223u) >> 24);
    spit(f, bytes);
    expect_refused(run, {f.string(), "sha256"}, std::string("random bytes in ") + file);
  }
}

TEST_F(Durability, TruncationOfEveryFileIsRefused) {
  for (const std::string file :
       {"model.safetensors", "optimizer.safetensors", "state.json", "manifest.json"}) {
    fs::path run = fresh_copy("trunc-" + file);
    fs::path f = ckpt(run, 4) / file;
    fs::resize_file(f, fs::file_size(f) / 2);
    expect_refused(run, {f.string()}, "truncated " + file);
  }
  fs::path run = fresh_copy("no-manifest");
  fs::remove(ckpt(run, 4) / "manifest.json");
  expect_refused(run, {"manifest.json", "missing"}, "manifest removed");
  run = fresh_copy("latest-garbage");
  spit(run / "checkpoints" / "latest", "../../etc\n");
  expect_refused(run, {"latest", "not a checkpoint name"}, "latest naming no checkpoint");
  run = fresh_copy("latest-missing");
  spit(run / "checkpoints" / "latest", "step-00000006\n");
  expect_refused(run, {"latest", "does not exist"}, "latest naming a missing checkpoint");
}

TEST_F(Durability, AFlippedBitInEachTensorFileIsRefused) {
  for (const std::string file : {"model.safetensors", "optimizer.safetensors"}) {
    fs::path run = fresh_copy("bit-" + file);
    fs::path f = ckpt(run, 4) / file;
    std::string bytes = slurp(f);
    bytes[bytes.size() - 7] ^= 0x10;
    spit(f, bytes);
    expect_refused(run, {f.string(), "sha256"}, "flipped bit in " + file);
  }
}

// Every state field out of range, with the manifest resealed to match (as a careless tool or a
// hostile hand would): the range checks alone must catch each.
TEST_F(Durability, EveryStateFieldOutOfRangeIsRefusedNamingTheField) {
  const json good = json::parse(slurp(ckpt(dir_ / "golden", 4) / "state.json"));
  const int64_t cursor = good["cursor"], epoch = good["epoch"];
  const std::vector<std::pair<std::string, json>> cases = {
      {"step", -3},           {"step", 9},        {"step", 3},          {"cursor", 99999},
      {"cursor", cursor + 1}, {"cursor", -1},     {"epoch", epoch + 1}, {"epoch", -1},
      {"rng_state", "7"},     {"rng_state", "x"}, {"adam_step", 1},     {"tokens_seen", -1}};
  int i = 0;
  for (const auto& [field, value] : cases) {
    fs::path run = fresh_copy(fmt::format("field-{}", i++));
    fs::path c = ckpt(run, 4);
    json st = json::parse(slurp(c / "state.json"));
    st[field] = value;
    spit(c / "state.json", st.dump(2));
    lw::io::write_dir_manifest(c, kCkptFiles);
    expect_refused(run, {(c / "state.json").string(), fmt::format("\"{}\"", field)},
                   fmt::format("{} = {}", field, value.dump()));
    EXPECT_FALSE(fs::exists(run / "checkpoints" / "step--0000002")) << field;
  }
}

TEST_F(Durability, ResumeFromValidFallsBackToTheNewestCheckpointThatVerifies) {
  // The reference: resumed from the intact step 4.
  fs::path good = fresh_copy("resume-good");
  auto g = run_longwriter(train_args(dir_, good, ""));
  ASSERT_EQ(g.exit_code, 0) << g.out;

  fs::path run = fresh_copy("resume-valid");
  fs::resize_file(ckpt(run, 4) / "model.safetensors", 100);
  auto r = run_longwriter(train_args(dir_, run, "--resume-from-valid"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("skipping " + ckpt(run, 4).string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("resuming from " + ckpt(run, 2).string()), std::string::npos) << r.out;
  // Exact resume from step 2 gives the same curve as the uninterrupted run.
  EXPECT_EQ(losses(run), losses(good));
  EXPECT_NO_THROW(lw::io::verify_dir_manifest(ckpt(run, 8), kCkptFiles));

  // No checkpoint verifies: it says so and starts over.
  fs::path none = fresh_copy("resume-none");
  fs::resize_file(ckpt(none, 4) / "state.json", 3);
  fs::resize_file(ckpt(none, 2) / "optimizer.safetensors", 3);
  auto n = run_longwriter(train_args(dir_, none, "--resume-from-valid"));
  ASSERT_EQ(n.exit_code, 0) << n.out;
  EXPECT_NE(n.out.find("no checkpoint"), std::string::npos) << n.out;
  EXPECT_EQ(losses(none), losses(good));
}

// A full disk at each write of a resumed `train` (metrics lines, then a checkpoint's three files,
// its manifest and `latest`): exit 2 with one clear message, and the step-4 checkpoint intact.
TEST_F(Durability, EnospcAtEachWriteOfTrainKeepsThePreviousCheckpoint) {
  const fs::path c4 = ckpt(dir_ / "golden", 4);
  size_t m = fs::file_size(c4 / "model.safetensors"), o = fs::file_size(c4 / "optimizer.safetensors"),
         s = fs::file_size(c4 / "state.json"), f = fs::file_size(c4 / "manifest.json");
  // Two metrics lines come first (about 250 bytes each), then the checkpoint's files in order.
  const size_t lines = 2 * 200;
  std::vector<size_t> at = {0,
                            1,
                            100,
                            lines,
                            lines + m / 2,
                            lines + m + 100,
                            lines + m + o / 2,
                            lines + m + o + s / 2 + 200,
                            lines + m + o + s + f / 2 + 200};
  int failed = 0;
  for (size_t n : at) {
    fs::path run = fresh_copy(fmt::format("enospc-train-{}", n));
    auto r = with_enospc_after(n, train_args(dir_, run, "--stop-after 2"));
    if (r.exit_code == 0) continue;  // the estimate passed the end of the writes
    ++failed;
    EXPECT_EQ(r.exit_code, 2) << n << "\n" << r.out;
    EXPECT_NE(r.out.find("no space left on the device"), std::string::npos) << n << "\n" << r.out;
    const std::string latest = slurp(run / "checkpoints" / "latest");
    EXPECT_TRUE(latest == "step-00000004\n" || latest == "step-00000006\n") << n;
    EXPECT_NO_THROW(lw::io::verify_dir_manifest(ckpt(run, 4), kCkptFiles)) << n;
    // The next run (disk freed) sweeps the leftovers and resumes.
    auto again = run_longwriter(train_args(dir_, run, "--stop-after 2"));
    EXPECT_EQ(again.exit_code, 0) << n << "\n" << again.out;
    EXPECT_EQ(temporaries(run), std::vector<std::string>{}) << n;
    EXPECT_EQ(slurp(run / "checkpoints" / "latest"), "step-00000006\n") << n;
  }
  EXPECT_GE(failed, 6);
}

// Re-packing over a good pack with the disk full at each stage: exit 2, and `pack stats` still
// reads the old pack, byte for byte; a fresh pack leaves nothing behind.
TEST_F(Durability, EnospcAtEachWriteOfPackKeepsTheOldPack) {
  const fs::path old = dir_ / "pack-old";
  fs::remove_all(old);
  auto p = run_longwriter(pack_args(dir_, old, ""));  // with the reference .npy files
  ASSERT_EQ(p.exit_code, 0) << p.out;
  std::map<std::string, std::string> before;
  size_t total = 0;
  for (const auto& e : fs::directory_iterator(old)) {
    before[e.path().filename().string()] = slurp(e.path());
    total += fs::file_size(e.path());
  }
  int failed = 0;
  for (double frac : {0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99}) {
    const size_t n = static_cast<size_t>(frac * static_cast<double>(total));
    auto r = with_enospc_after(n, pack_args(dir_, old, "--seed 9"));
    if (r.exit_code == 0) continue;
    ++failed;
    EXPECT_EQ(r.exit_code, 2) << n << "\n" << r.out;
    EXPECT_NE(r.out.find("no space left on the device"), std::string::npos) << n << "\n" << r.out;
    auto st = run_longwriter(fmt::format("pack stats {}", q(old)));
    EXPECT_EQ(st.exit_code, 0) << n << "\n" << st.out;
    std::map<std::string, std::string> after;
    for (const auto& e : fs::directory_iterator(old)) after[e.path().filename().string()] = slurp(e.path());
    EXPECT_TRUE(after == before) << "the old pack changed at " << n;
    EXPECT_EQ(temporaries(dir_ / "pack-old"), std::vector<std::string>{}) << n;
  }
  EXPECT_GE(failed, 6);

  const fs::path fresh = dir_ / "pack-fresh";
  auto r = with_enospc_after(total / 2, pack_args(dir_, fresh, ""));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_FALSE(fs::exists(fresh));
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().filename().string().find("pack-fresh.tmp."), std::string::npos) << e.path();
}

TEST_F(Durability, PackRefusesToReplaceADirectoryThatIsNotAPack) {
  const fs::path d = dir_ / "not-a-pack";
  fs::create_directories(d);
  spit(d / "notes.txt", "mine");
  auto r = run_longwriter(pack_args(dir_, d));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("notes.txt"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(d / "notes.txt"), "mine");
}

}  // namespace
