// The trainer in double precision against float64 outputs of an implementation we did not write
// (tests/fixtures/golden/README.md): a float64 PyTorch port of HF's Llama and GLM checked against
// HF transformers' own logits (scripts/golden/make_f64_golden.py).
//   - TrainModel<double>'s logits equal the float64 golden logits to 1e-9 (relative to the largest).
//   - One training step's gradient (the `token` objective over one pack of the fixture's sequences)
//     w.r.t. every parameter equals torch autograd's float64 gradient to 1e-9, and so does the loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/config.hpp"
#include "engine/model.hpp"
#include "engine/ops_ref.hpp"
#include "golden_fixtures.hpp"
#include "io/file.hpp"
#include "train/batch.hpp"
#include "train/checkpoint.hpp"
#include "train/model.hpp"

namespace lw::train {
namespace {

namespace fs = std::filesystem;

fs::path golden_dir(const std::string& name) {
  return fs::path(LW_TEST_DATA_DIR) / "golden" / name;
}

std::vector<double> read_f64(const fs::path& p) {
  const std::string bytes = io::read_file(p);
  std::vector<double> v(bytes.size() / sizeof(double));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(double));
  return v;
}

// The fixture's weights in a TrainModel<double> (the committed file is f32: exact in double).
std::unique_ptr<TrainModel<double>> load_double(const fs::path& dir) {
  auto em = engine::load_model(dir);
  TrainModel<float> tf(em->config());
  load_weights(tf, dir);
  auto td = std::make_unique<TrainModel<double>>(em->config());
  std::copy(tf.params.begin(), tf.params.end(), td->params.begin());
  return td;
}

// max |a - b| / max |b|
double rel_to_max(const double* a, const double* b, size_t n) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < n; ++i) {
    err = std::max(err, std::fabs(a[i] - b[i]));
    scale = std::max(scale, std::fabs(b[i]));
  }
  return err / scale;
}

Row one_sequence(const std::vector<int32_t>& ids) {
  Row r;
  r.tokens = ids;
  r.cu_seqlens = {0, static_cast<int32_t>(ids.size())};
  r.targets.assign(ids.size(), -1);
  for (size_t t = 0; t + 1 < ids.size(); ++t) r.targets[t] = ids[t + 1];
  r.pack_weights.assign(ids.size(), 0.0f);
  return r;
}

class GoldenF64 : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenF64, TrainModelDoubleLogitsEqualTheFloat64Golden) {
  const fs::path dir = golden_dir(GetParam());
  const auto g = nlohmann::json::parse(io::read_file(dir / "golden_f64.json"));
  auto tm = load_double(dir);
  const engine::ModelConfig& c = tm->config();
  // The float32 rotary frequencies are the same numbers as the port's (HF's float32 arithmetic).
  EXPECT_EQ(engine::rope_inv_freq(c), g["rope_inv_freq_f32"].get<std::vector<float>>());
  const double* lm = tm->params.data() + tm->offsets()[c.tie_word_embeddings ? 0 : tm->specs().size() - 1];
  ASSERT_EQ(tm->specs()[c.tie_word_embeddings ? 0 : tm->specs().size() - 1].name,
            c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  for (size_t s = 0; s < g["input_ids"].size(); ++s) {
    const auto ids = g["input_ids"][s].get<std::vector<int32_t>>();
    const int T = static_cast<int>(ids.size());
    const std::vector<double> want = read_f64(dir / g["logits"][s].get<std::string>());  // (T, V)
    ASSERT_EQ(want.size(), static_cast<size_t>(T) * c.V);
    tm->forward(one_sequence(ids));
    std::vector<double> logits(want.size());  // (T, V)
    engine::ref::matmul_forward(logits.data(), tm->final_hidden(), lm, nullptr, T, c.C, c.V);
    const double err = rel_to_max(logits.data(), want.data(), want.size());
    EXPECT_LT(err, 1e-9) << GetParam() << " sequence " << s;
    std::printf("%s seq %zu: max |logit - golden| / max |golden| = %.3e\n", GetParam().c_str(), s, err);
  }
}

TEST_P(GoldenF64, TrainingGradientEqualsTorchAutograd) {
  const fs::path dir = golden_dir(GetParam());
  const auto gj = nlohmann::json::parse(io::read_file(dir / "grad.json"));
  const std::vector<double> want = read_f64(dir / gj["file"].get<std::string>());
  auto tm = load_double(dir);
  // One pack holding the fixture's sequences; the trainer's `token` weighting.
  std::vector<Row> seqs;
  for (const auto& ids : gj["sequences"]) seqs.push_back(one_sequence(ids.get<std::vector<int32_t>>()));
  const Row row = concat_rows(seqs);
  ASSERT_EQ(count_targets(row), gj["n_targets"].get<int64_t>());
  const std::vector<double> w = loss_weights({&row}, Weighting::token)[0];  // (T)
  tm->zero_grad();
  const double loss = tm->forward_backward(row, w.data());
  EXPECT_NEAR(loss, gj["loss"].get<double>(), 1e-12 * std::fabs(loss));
  double worst = 0;
  std::string worst_name;
  ASSERT_EQ(gj["tensors"].size(), tm->specs().size());
  for (const auto& t : gj["tensors"]) {
    const std::string name = t["name"].get<std::string>();
    const double* got = tm->grad(name);
    const size_t off = t["offset"].get<size_t>();
    size_t n = 1;
    for (int64_t d : t["shape"].get<std::vector<int64_t>>()) n *= d;
    ASSERT_LE(off + n, want.size());
    const double err = rel_to_max(got, want.data() + off, n);
    EXPECT_LT(err, 1e-9) << GetParam() << " " << name;
    if (err > worst) worst = err, worst_name = name;
  }
  std::printf("%s: loss %.15f (torch %.15f); worst gradient tensor %s at %.3e of its largest entry\n",
              GetParam().c_str(), loss, gj["loss"].get<double>(), worst_name.c_str(), worst);
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenF64, testing::golden_models(), testing::golden_test_name);

}  // namespace
}  // namespace lw::train
