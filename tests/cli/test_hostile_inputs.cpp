// Issue #19, end to end: each class of hostile input ends in exit code 2 with one message naming
// the file and the field or row, never a signal, a hang, a raw library message or silent success.
// The inputs are the regression files of the fuzz corpus (fuzz/corpus, written by
// fuzz/make_corpus.py); some carry a leading byte that picks the format for the fuzz target.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "cli/cli_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using lw::testing::run_longwriter;

const fs::path kCorpus = fs::path(LW_TEST_DATA_DIR) / ".." / ".." / "fuzz" / "corpus";
const fs::path kGolden = fs::path(LW_TEST_DATA_DIR) / "golden";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void spit(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
std::string q(const fs::path& p) { return fmt::format("'{}'", p.string()); }

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("lw_hostile_{}_{}", ::getpid(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A corpus file without its leading format byte.
  std::string corpus_body(const std::string& target, const std::string& name) {
    std::string s = slurp(kCorpus / target / name);
    EXPECT_FALSE(s.empty()) << target << "/" << name;
    return s.empty() ? s : s.substr(1);
  }
  // A pack directory from a corpus shard (and a manifest agreeing with its header).
  fs::path pack_from_shard(const std::string& name) {
    const std::string shard = corpus_body("pack", name);
    fs::path d = dir_ / "pack";
    fs::create_directories(d);
    spit(d / "shard-00000.bin", shard);
    std::string m = corpus_body("pack", "seed-manifest");
    uint64_t rows = 0;
    std::memcpy(&rows, shard.data() + 16, 8);
    const auto at = m.find("\"rows\": 2}]");
    if (at != std::string::npos) m.replace(at, 11, fmt::format("\"rows\": {}}}]", rows));
    const auto counts = m.find("\"rows\": 2,");
    if (counts != std::string::npos) m.replace(counts, 10, fmt::format("\"rows\": {},", rows));
    spit(d / "manifest.json", m);
    return d;
  }
  // `generate` on a model file or directory: loading it is what is tested.
  static lw::testing::RunResult generate(const fs::path& model) {
    return run_longwriter("generate --prompt hi --max-new-tokens 1 --model " + q(model));
  }
  void expect_input_error(const lw::testing::RunResult& r, std::initializer_list<std::string> mentions) {
    EXPECT_EQ(r.exit_code, 2) << r.out;
    for (const auto& m : mentions) EXPECT_NE(r.out.find(m), std::string::npos) << "no \"" << m << "\" in: " << r.out;
    EXPECT_EQ(r.out.find("json.exception"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("std::"), std::string::npos) << r.out;
  }
  fs::path dir_;
};

TEST_F(Hostile, PackSeedShardIsReadable) {
  auto r = run_longwriter("pack stats " + q(pack_from_shard("seed-shard-two-rows")));
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(Hostile, PackRowWithMoreSequencesThanBoundaries) {
  auto d = pack_from_shard("regress-nseqs-exceeds-bounds");
  expect_input_error(run_longwriter("pack stats " + q(d)), {"shard-00000.bin", "row 0", "sequences"});
  expect_input_error(run_longwriter(fmt::format("train --data {} --model {} --out {} --max-steps 1", q(d),
                                                q(kGolden / "llama3-tiny" / "config.json"), q(dir_ / "run"))),
                     {"shard-00000.bin", "row 0"});
}

TEST_F(Hostile, PackCuSeqlensNotIncreasing) {
  expect_input_error(run_longwriter("pack stats " + q(pack_from_shard("regress-cu-not-increasing"))),
                     {"shard-00000.bin", "row 0", "not strictly increasing"});
}

TEST_F(Hostile, PackCuSeqlensPastTheRow) {
  expect_input_error(run_longwriter("pack stats " + q(pack_from_shard("regress-cu-exceeds-row"))),
                     {"shard-00000.bin", "row 0", "exceeds the row length"});
  expect_input_error(run_longwriter("pack stats " + q(pack_from_shard("regress-cu-ends-short"))),
                     {"shard-00000.bin", "row 0", "expected the row length"});
}

TEST_F(Hostile, PackBoundariesPastTheSection) {
  expect_input_error(run_longwriter("pack stats " + q(pack_from_shard("regress-bounds-past-section"))),
                     {"shard-00000.bin", "row 0", "bounds section"});
  expect_input_error(run_longwriter("pack stats " + q(pack_from_shard("regress-bounds-begin-wraps"))),
                     {"shard-00000.bin", "row 0", "bounds section"});
}

TEST_F(Hostile, PackTokenReadFromAnotherSection) {
  auto d = pack_from_shard("regress-token-is-float");
  expect_input_error(run_longwriter("pack stats " + q(d)), {"shard-00000.bin", "row 0", "outside the vocabulary"});
  expect_input_error(run_longwriter(fmt::format("train --data {} --model {} --out {} --max-steps 1", q(d),
                                                q(kGolden / "llama3-tiny" / "config.json"), q(dir_ / "run"))),
                     {"shard-00000.bin", "row 0"});
}

TEST_F(Hostile, PackManifestFieldOfTheWrongType) {
  auto d = pack_from_shard("seed-shard-two-rows");
  spit(d / "manifest.json", corpus_body("pack", "regress-manifest-overflow-type"));
  expect_input_error(run_longwriter("pack stats " + q(d)), {"manifest.json", "overflow"});
  spit(d / "manifest.json", corpus_body("pack", "regress-manifest-skipped-type"));
  expect_input_error(run_longwriter("pack stats " + q(d)), {"manifest.json"});
  spit(d / "manifest.json", corpus_body("pack", "regress-manifest-1e400"));
  expect_input_error(run_longwriter("pack stats " + q(d)), {"manifest.json", "1e400"});
}

TEST_F(Hostile, DeeplyNestedJsonlInBenchScore) {
  const std::string deep = slurp(kCorpus / "jsonl" / "regress-deep-extra-field.jsonl");
  const std::string pred = slurp(kCorpus / "jsonl" / "seed-pred.jsonl");
  spit(dir_ / "deep.jsonl", deep);
  spit(dir_ / "pred.jsonl", pred);
  expect_input_error(run_longwriter(fmt::format("bench score --pred {} --out {}", q(dir_ / "deep.jsonl"), q(dir_ / "o1"))),
                     {"deep.jsonl:1", "nested deeper than"});
  expect_input_error(run_longwriter(fmt::format("bench score --pred {} --judge {} --out {}", q(dir_ / "pred.jsonl"),
                                                q(dir_ / "deep.jsonl"), q(dir_ / "o2"))),
                     {"deep.jsonl:1", "nested deeper than"});
}

TEST_F(Hostile, NumberOutOfRangeInJsonl) {
  spit(dir_ / "pred.jsonl", slurp(kCorpus / "jsonl" / "regress-number-1e400.jsonl"));
  expect_input_error(run_longwriter(fmt::format("bench score --pred {} --out {}", q(dir_ / "pred.jsonl"), q(dir_ / "o"))),
                     {"pred.jsonl:1", "1e400"});
  spit(dir_ / "write.jsonl", "{\"prompt\": \"x\", \"response\": \"y\", \"response_length\": 1e400}\n");
  expect_input_error(run_longwriter(fmt::format("agentwrite export --in {} --out {}", q(dir_ / "write.jsonl"),
                                                q(dir_ / "sft.jsonl"))),
                     {"write.jsonl:1", "1e400"});
}

TEST_F(Hostile, GgufAbsurdBlockCount) {
  expect_input_error(generate(kCorpus / "gguf" / "regress-block-count-2e31.gguf"),
                     {"regress-block-count-2e31.gguf", "num_hidden_layers"});
  expect_input_error(generate(kCorpus / "gguf" / "regress-block-count-u32-max.gguf"),
                     {"regress-block-count-u32-max.gguf", "block_count"});
}

TEST_F(Hostile, GgufNonFiniteOrZeroHyperparameters) {
  expect_input_error(generate(kCorpus / "gguf" / "regress-rms-eps-inf.gguf"),
                     {"regress-rms-eps-inf.gguf", "rms_norm_eps"});
  expect_input_error(generate(kCorpus / "gguf" / "regress-rope-base-near-zero.gguf"),
                     {"regress-rope-base-near-zero.gguf", "rope_theta"});
  expect_input_error(generate(kCorpus / "gguf" / "regress-tensors-overlap.gguf"),
                     {"regress-tensors-overlap.gguf", "overlap"});
}

TEST_F(Hostile, ConfigJsonRefusedValues) {
  fs::create_directories(dir_ / "m");
  spit(dir_ / "m" / "config.json", corpus_body("safetensors", "regress-config-rope-factor-negative"));
  expect_input_error(generate(dir_ / "m"),
                     {"config.json", "rope_scaling.factor"});
  spit(dir_ / "m" / "config.json", corpus_body("safetensors", "regress-config-vocab-wraps"));
  auto r = generate(dir_ / "m");
  expect_input_error(r, {"config.json", "vocab_size", "4294967312"});
  spit(dir_ / "m" / "config.json", corpus_body("safetensors", "regress-config-wrong-type"));
  expect_input_error(generate(dir_ / "m"),
                     {"config.json"});
}

TEST_F(Hostile, SafetensorsOverlappingTensors) {
  fs::create_directories(dir_ / "m");
  fs::copy_file(kGolden / "llama3-tiny" / "config.json", dir_ / "m" / "config.json");
  spit(dir_ / "m" / "model.safetensors", corpus_body("safetensors", "regress-overlap"));
  expect_input_error(generate(dir_ / "m"),
                     {"model.safetensors", "overlap"});
}

}  // namespace
