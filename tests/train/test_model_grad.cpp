// Whole-model gradients: finite differences in double for each weighting mode (across gradient
// accumulation), packed == separate, recompute == saved activations.
#include <gtest/gtest.h>

#include "grad_check.hpp"
#include "tiny_model.hpp"
#include "train/model.hpp"
#include "util/error.hpp"

namespace lw::train {
namespace {

using testing::random_sequence;
using testing::tiny_glm4;
using testing::tiny_llama;

// The step loss over a global batch of rows (micro-batches), with grads accumulated.
double step_loss(TrainModel<double>& m, const std::vector<Row>& rows,
                 const std::vector<std::vector<double>>& w, bool grad) {
  double total = 0;
  for (size_t i = 0; i < rows.size(); i++) {
    if (grad) {
      total += m.forward_backward(rows[i], w[i].data());
    } else {
      m.forward(rows[i]);
      total += m.head(rows[i].targets.data(), w[i].data(), nullptr, false);
    }
  }
  return total;
}

void check_model_grads(const engine::ModelConfig& cfg, Weighting mode) {
  SCOPED_TRACE(weighting_name(mode));
  TrainModel<double> m(cfg);
  m.init_random(7);
  // Larger init so gradients are not tiny.
  for (auto& p : m.params) p *= 10.0;
  for (size_t i = 0; i < m.specs().size(); i++)
    if (m.specs()[i].role == engine::ParamRole::norm)
      for (int64_t j = 0; j < m.specs()[i].numel(); j++) m.params[m.offsets()[i] + j] = 1.0 + 0.1 * j;
  // Two micro-batches: a pack of 3 sequences of different lengths, and a single sequence.
  std::vector<Row> rows = {
      concat_rows({random_sequence(5, 2, cfg.V, 1), random_sequence(9, 3, cfg.V, 2),
                   random_sequence(4, 1, cfg.V, 3)}),
      random_sequence(7, 2, cfg.V, 4)};
  std::vector<const Row*> ptrs = {&rows[0], &rows[1]};
  auto w = loss_weights(ptrs, mode, 3.0);
  m.zero_grad();
  step_loss(m, rows, w, true);
  std::vector<double> analytic = m.grads;
  auto loss = [&] { return step_loss(m, rows, w, false); };
  // Check a sample of every tensor.
  for (size_t i = 0; i < m.specs().size(); i++) {
    const auto& s = m.specs()[i];
    std::vector<double> x(m.params.begin() + m.offsets()[i], m.params.begin() + m.offsets()[i] + s.numel());
    std::vector<double> g(analytic.begin() + m.offsets()[i], analytic.begin() + m.offsets()[i] + s.numel());
    auto lossx = [&] {
      std::copy(x.begin(), x.end(), m.params.begin() + m.offsets()[i]);
      return loss();
    };
    testing::check_grad(s.name.c_str(), x, g, lossx, 4, 1e-5, 1e-10);
    std::copy(x.begin(), x.end(), m.params.begin() + m.offsets()[i]);
  }
}

TEST(ModelGrad, LlamaTokenWeighting) { check_model_grads(tiny_llama(), Weighting::token); }
TEST(ModelGrad, LlamaSequenceWeighting) { check_model_grads(tiny_llama(), Weighting::sequence); }
TEST(ModelGrad, LlamaLongAlignWeighting) { check_model_grads(tiny_llama(), Weighting::longalign); }
TEST(ModelGrad, Glm4TokenWeighting) { check_model_grads(tiny_glm4(), Weighting::token); }
TEST(ModelGrad, LlamaLongWriterWeighting) { check_model_grads(tiny_llama(), Weighting::longwriter); }

TEST(ModelGrad, TiedEmbeddings) {
  auto cfg = tiny_llama();
  cfg.tie_word_embeddings = true;
  check_model_grads(cfg, Weighting::token);
}

TEST(Weighting, ModesOnAKnownBatch) {
  // Sequence A: 2 targets; B: 4 targets; in two micro-batches.
  Row a = random_sequence(4, 1, 10, 1);  // labelled positions 1..3 -> targets at 0..2 -> 3 targets
  Row b = random_sequence(6, 1, 10, 2);  // 5 targets
  ASSERT_EQ(count_targets(a), 3);
  ASSERT_EQ(count_targets(b), 5);
  std::vector<const Row*> batch = {&a, &b};
  auto tok = loss_weights(batch, Weighting::token);
  EXPECT_DOUBLE_EQ(tok[0][0], 1.0 / 8);
  EXPECT_DOUBLE_EQ(tok[1][4], 1.0 / 8);
  EXPECT_DOUBLE_EQ(tok[0][3], 0.0);  // last position predicts nothing
  auto seq = loss_weights(batch, Weighting::sequence);
  EXPECT_DOUBLE_EQ(seq[0][0], 1.0 / (2 * 3));
  EXPECT_DOUBLE_EQ(seq[1][0], 1.0 / (2 * 5));
  auto la = loss_weights(batch, Weighting::longalign, 30.0);
  EXPECT_NEAR(la[0][0], (1.0 / 3) / 30.0, 1e-9);
  double sum = 0;
  for (double x : la[1]) sum += x;
  EXPECT_NEAR(sum, 1.0 / 30.0, 1e-7);  // pack weights sum to 1 per sequence
  // the paper's loss: token mean (1/8 per target) times 2 sequences / K
  auto lw = loss_weights(batch, Weighting::longwriter, 30.0);
  EXPECT_DOUBLE_EQ(lw[0][0], 2.0 / (30.0 * 8));
  EXPECT_DOUBLE_EQ(lw[1][4], 2.0 / (30.0 * 8));
  EXPECT_DOUBLE_EQ(lw[0][3], 0.0);
  EXPECT_THROW(loss_weights(batch, Weighting::longwriter, 0.0), lw::InputError);
  EXPECT_EQ(parse_weighting("longwriter"), Weighting::longwriter);
  EXPECT_EQ(weighting_name(Weighting::longwriter), "longwriter");
}

TEST(Batch, TargetsNeverCrossBoundaries) {
  // Two sequences fully labelled: the last token of the first must not predict the second's first.
  std::vector<int32_t> tok = {5, 6, 7, 8, 9}, lab = {5, 6, 7, 8, 9};
  Row r = row_from_labels(tok, {0, 3, 5}, lab, {});
  EXPECT_EQ(r.targets, (std::vector<int32_t>{6, 7, -1, 9, -1}));
  EXPECT_THROW(row_from_labels(tok, {0, 6}, lab, {}), lw::InputError);
}

// The gradient of one pack holding A, B, C equals the sum of the gradients of A, B and C run
// separately with the same weights.
template <typename F>
void packing_equivalence(Weighting mode, double tol) {
  auto cfg = tiny_llama(37, 32, 2);
  std::vector<Row> seqs = {random_sequence(11, 3, cfg.V, 11), random_sequence(29, 5, cfg.V, 12),
                           random_sequence(6, 2, cfg.V, 13)};
  Row pack = concat_rows(seqs);
  TrainModel<F> m(cfg);
  m.init_random(3);
  // Weights from the same global batch: the pack, or the three separate rows.
  auto wp = loss_weights({&pack}, mode);
  std::vector<const Row*> sp = {&seqs[0], &seqs[1], &seqs[2]};
  auto ws = loss_weights(sp, mode);
  m.zero_grad();
  std::vector<F> w(wp[0].begin(), wp[0].end());
  double lp = m.forward_backward(pack, w.data());
  std::vector<F> g_pack = m.grads;
  m.zero_grad();
  double ls = 0;
  for (size_t i = 0; i < seqs.size(); i++) {
    std::vector<F> wi(ws[i].begin(), ws[i].end());
    ls += m.forward_backward(seqs[i], wi.data());
  }
  EXPECT_NEAR(lp, ls, tol * std::max(1.0, std::fabs(lp)));
  double gmax = 0, err = 0;
  for (size_t i = 0; i < g_pack.size(); i++) {
    gmax = std::max(gmax, (double)std::fabs(g_pack[i]));
    err = std::max(err, (double)std::fabs(g_pack[i] - m.grads[i]));
  }
  EXPECT_GT(gmax, 1e-4);
  EXPECT_LT(err, tol) << "max |g_pack - g_separate| with max |g| " << gmax;
}

TEST(PackingEquivalence, TokenFloat) { packing_equivalence<float>(Weighting::token, 1e-5); }
TEST(PackingEquivalence, SequenceFloat) { packing_equivalence<float>(Weighting::sequence, 1e-5); }
TEST(PackingEquivalence, LongAlignFloat) { packing_equivalence<float>(Weighting::longalign, 1e-5); }
TEST(PackingEquivalence, LongWriterFloat) { packing_equivalence<float>(Weighting::longwriter, 1e-5); }
TEST(PackingEquivalence, TokenDouble) { packing_equivalence<double>(Weighting::token, 1e-12); }

TEST(ModelGrad, RecomputeGivesIdenticalGradients) {
  auto cfg = tiny_glm4();
  TrainModel<float> m(cfg);
  m.init_random(5);
  Row pack = concat_rows({random_sequence(13, 3, cfg.V, 21), random_sequence(8, 2, cfg.V, 22)});
  auto w = loss_weights({&pack}, Weighting::token);
  std::vector<float> wf(w[0].begin(), w[0].end());
  m.zero_grad();
  double l1 = m.forward_backward(pack, wf.data(), /*recompute=*/false);
  auto g1 = m.grads;
  m.zero_grad();
  double l2 = m.forward_backward(pack, wf.data(), /*recompute=*/true);
  EXPECT_EQ(l1, l2);
  EXPECT_EQ(g1, m.grads);
}

}  // namespace
}  // namespace lw::train
