// Log-probabilities of sampled tokens (engine/logprobs.hpp) against a float64 log-softmax of a tiny
// model's logits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/logprobs.hpp"
#include "engine/model.hpp"
#include "engine_test_util.hpp"

using namespace lw::engine;
using namespace lw::engine::testing;

TEST(Logprobs, MatchAFloat64LogSoftmaxOfTheModelsLogits) {
  auto m = make_random_model(tiny_llama(), 9, DType::f32, 0.5f);
  Workspace ws;
  std::vector<float> logits;
  forward(*m, Batch::single(std::vector<int32_t>{4, 8, 15, 16, 23}), nullptr, ws, logits);
  double mx = -1e300, sum = 0;
  for (float l : logits) mx = std::max(mx, static_cast<double>(l));
  for (float l : logits) sum += std::exp(l - mx);
  std::vector<double> want(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) want[i] = logits[i] - mx - std::log(sum);
  std::vector<int32_t> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return want[a] > want[b]; });
  for (int32_t id : {0, 17, 96}) {
    auto t = token_logprob(logits, id, 5);
    EXPECT_EQ(t.id, id);
    EXPECT_NEAR(t.logprob, want[id], 1e-5);
    ASSERT_EQ(t.top.size(), 5u);
    for (int k = 0; k < 5; ++k) {
      EXPECT_EQ(t.top[k].first, order[k]);
      EXPECT_NEAR(t.top[k].second, want[order[k]], 1e-5);
    }
  }
  EXPECT_TRUE(token_logprob(logits, 3, 0).top.empty());
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    total += std::exp(token_logprob(logits, static_cast<int32_t>(i), 0).logprob);
  EXPECT_NEAR(total, 1.0, 1e-5);
}
