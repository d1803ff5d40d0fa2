// `longwriter generate` with speculative decoding: --lookup gives the plain greedy ids and reports
// drafted / accepted tokens on stderr; a draft model with another vocabulary is a clear input error
// naming both models. Tiny random HF models without a tokenizer (token ids in and out).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <tuple>

#include "cli_helpers.hpp"
#include "engine/engine_test_util.hpp"
#include "engine/model.hpp"
#include "engine/save.hpp"

namespace {

namespace fs = std::filesystem;

lw::engine::ModelConfig tiny(int V) {
  lw::engine::ModelConfig c = lw::engine::testing::tiny_llama();
  c.V = V;
  c.max_context = 256;
  return c;
}

class SpeculativeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lw_spec_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (auto [name, V, seed] : {std::tuple{"target", 97, 1}, std::tuple{"other", 90, 2}}) {
      auto m = lw::engine::make_random_model(tiny(V), seed, lw::engine::DType::f32, 0.6f);
      lw::engine::save_hf_model(m->config(), m->weights(), dir_ / name);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string model(const char* name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// The line of generated ids (--print-ids without a tokenizer).
std::string ids_line(const std::string& out) {
  for (size_t at = 0; at < out.size();) {
    const size_t end = out.find('\n', at);
    const std::string line = out.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) return line;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return "";
}

}  // namespace

TEST_F(SpeculativeCli, LookupGivesThePlainIdsAndReportsDrafts) {
  const std::string args =
      "generate --threads 1 --max-new-tokens 40 --prompt-ids \"5 6 7 8 5 6 7 8 5 6 7 8 5 6\" "
      "--model " +
      model("target");
  const auto plain = lw::testing::run_longwriter(args);
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  const auto spec = lw::testing::run_longwriter(args + " --lookup --draft-max 3");
  ASSERT_EQ(spec.exit_code, 0) << spec.out;
  EXPECT_FALSE(ids_line(plain.out).empty()) << plain.out;
  EXPECT_EQ(ids_line(spec.out), ids_line(plain.out));
  EXPECT_NE(spec.out.find("speculative: "), std::string::npos) << spec.out;
  EXPECT_NE(spec.out.find(" drafted, "), std::string::npos) << spec.out;
  EXPECT_EQ(plain.out.find("speculative: "), std::string::npos) << plain.out;
}

TEST_F(SpeculativeCli, DraftModelWithAnotherVocabularyIsAnInputErrorNamingBoth) {
  const auto r =
      lw::testing::run_longwriter("generate --threads 1 --max-new-tokens 4 --prompt-ids \"1 2 3\" --model " +
                                  model("target") + " --draft-model " + model("other"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(model("target")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(model("other")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("vocabulary"), std::string::npos) << r.out;
  const auto both = lw::testing::run_longwriter("generate --prompt-ids \"1 2\" --model " + model("target") +
                                                " --lookup --draft-model " + model("target"));
  EXPECT_EQ(both.exit_code, 2) << both.out;
  EXPECT_NE(both.out.find("one draft source"), std::string::npos) << both.out;
}
