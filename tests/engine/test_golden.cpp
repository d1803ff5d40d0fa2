// Golden logits from HF transformers (tests/fixtures/golden/README.md): an implementation we did
// not write, evaluated in float64, for tiny random Llama 3 (llama3 rope scaling, GQA), Llama 2
// (tied embeddings) and GLM-4 (biases, fused gate_up, partial interleaved rotary).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/model.hpp"
#include "engine_test_util.hpp"
#include "io/file.hpp"

using namespace lw::engine;
using namespace lw::engine::testing;
namespace fs = std::filesystem;

namespace {

std::vector<float> read_f32(const fs::path& p) {
  std::string bytes = lw::io::read_file(p);
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(GoldenTest, LogitsMatchTransformers) {
  fs::path dir = fs::path(LW_TEST_DATA_DIR) / "golden" / GetParam();
  // the fixtures are committed (scripts/golden makes them): missing ones are a failure, not a skip
  ASSERT_TRUE(fs::exists(dir / "golden.json")) << "no golden data in " << dir;
  auto g = nlohmann::json::parse(lw::io::read_file(dir / "golden.json"));
  auto m = load_model(dir);
  const int V = m->config().V;
  std::vector<std::vector<int32_t>> seqs;
  for (const auto& ids : g["input_ids"]) seqs.push_back(ids.get<std::vector<int32_t>>());
  Workspace ws;
  std::vector<float> packed;
  forward(*m, Batch::packed(seqs), nullptr, ws, packed);
  size_t off = 0;
  for (size_t s = 0; s < seqs.size(); ++s) {
    auto want = read_f32(dir / g["logits"][s].get<std::string>());
    ASSERT_EQ(want.size(), seqs[s].size() * V);
    std::vector<float> got;
    forward(*m, Batch::single(seqs[s], 0, /*all_logits=*/true), nullptr, ws, got);
    EXPECT_LT(rel_err(got, want), 1e-5) << "sequence " << s;
    std::printf("%s seq %zu rel err %.3g\n", GetParam().c_str(), s, rel_err(got, want));
    EXPECT_LT(rel_err(packed.data() + off, want.data(), want.size()), 1e-5) << "packed sequence " << s;
    off += want.size();
    // Same argmax at every position.
    for (size_t t = 0; t < seqs[s].size(); ++t) {
      auto* a = got.data() + t * V;
      auto* b = want.data() + t * V;
      EXPECT_EQ(std::max_element(a, a + V) - a, std::max_element(b, b + V) - b);
    }
  }
  // bf16 in memory stays close to the f32 oracle.
  LoadOptions o;
  o.convert = LoadOptions::Convert::bf16;
  auto mb = load_model(dir, o);
  std::vector<float> got;
  forward(*mb, Batch::single(seqs[1], 0, true), nullptr, ws, got);
  EXPECT_LT(rel_err(got, read_f32(dir / g["logits"][1].get<std::string>())), 0.02);
}

INSTANTIATE_TEST_SUITE_P(Hf, GoldenTest,
                         ::testing::Values("llama3-tiny", "llama2-tied-tiny", "glm4-tiny"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });
