// The trainer's forward and the engine's compute the same model: on the golden fixtures (Llama 3
// with llama3 rope scaling, tied Llama 2, GLM-4 with fused gate/up, partial rotary and biases),
// TrainModel<float>'s log-probabilities of every vocabulary entry at every position equal the
// log-softmax of engine::forward's logits. A wrong but self-consistent training forward (it is
// checked against its own finite differences elsewhere) cannot pass this.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/model.hpp"
#include "golden_fixtures.hpp"
#include "io/file.hpp"
#include "train/checkpoint.hpp"
#include "train/model.hpp"

namespace lw::train {
namespace {

namespace fs = std::filesystem;

class TrainVsEngine : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainVsEngine, LogProbabilitiesEqualTheEnginesOnTheSameWeights) {
  const fs::path dir = testing::golden_dir(GetParam());
  ASSERT_TRUE(fs::exists(dir / "golden.json")) << dir;
  const auto g = nlohmann::json::parse(io::read_file(dir / "golden.json"));
  auto em = engine::load_model(dir);
  const engine::ModelConfig cfg = em->config();
  TrainModel<float> tm(cfg);
  load_weights(tm, dir);
  const int V = cfg.V;
  for (const auto& ids_json : g["input_ids"]) {
    const auto ids = ids_json.get<std::vector<int32_t>>();
    const int T = static_cast<int>(ids.size());
    engine::Workspace ws;
    std::vector<float> logits;  // (T, V)
    engine::forward(*em, engine::Batch::single(ids, 0, /*all_logits=*/true), nullptr, ws, logits);
    ASSERT_EQ(logits.size(), static_cast<size_t>(T) * V);

    Row row;
    row.tokens = ids;
    row.cu_seqlens = {0, T};
    row.targets.assign(T, 0);
    tm.forward(row);
    std::vector<int32_t> targets(T);
    std::vector<float> w(T, 1.0f), nll(T);
    double max_err = 0, scale = 0;
    for (int v = 0; v < V; ++v) {
      std::fill(targets.begin(), targets.end(), v);
      tm.head(targets.data(), w.data(), nll.data(), /*grad=*/false, /*nll_for_all_targets=*/true);
      for (int t = 0; t < T; ++t) {
        const float* lt = logits.data() + static_cast<size_t>(t) * V;
        const double mx = *std::max_element(lt, lt + V);
        double se = 0;
        for (int k = 0; k < V; ++k) se += std::exp(static_cast<double>(lt[k]) - mx);
        const double want = static_cast<double>(lt[v]) - mx - std::log(se);  // engine log p(v | ..t)
        max_err = std::max(max_err, std::fabs(-static_cast<double>(nll[t]) - want));
        scale = std::max(scale, std::fabs(want));
      }
    }
    EXPECT_LT(max_err / scale, 1e-5) << GetParam() << ": max |log p| error " << max_err << " of " << scale;
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, TrainVsEngine, testing::golden_models(), testing::golden_test_name);

}  // namespace
}  // namespace lw::train
