#pragma once
// A deterministic writer and judge for `agentwrite pairs` tests: the answer is a function of the
// prompt and the request's seed alone. Writer requests go to FakeModel (a candidate's length
// deviates from its budget by a factor in [0.5, 1.5] drawn from prompt and seed); the step judge
// scores a part by how close its words are to its budget (5: exact, -1 per 12.5% off, at least 1);
// the whole judge gives a revision ("RevT part0:") 4 in every dimension and a draft 3.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "fake_model.hpp"

namespace lw::testing {

inline bool is_step_judge_prompt(const std::string& p) {
  return p.find("You are grading one part") != std::string::npos;
}
inline bool is_whole_judge_prompt(const std::string& p) {
  return p.find("You are grading a piece of writing") != std::string::npos;
}

inline std::string judge_json(int score, const std::string& why) {
  return fmt::format(
      "{{\"Analysis\": \"{}\", \"Relevance\": {}, \"Accuracy\": {}, \"Coherence\": {}, \"Clarity\": {}, "
      "\"Breadth and Depth\": {}, \"Reading Experience\": {}}}",
      why, score, score, score, score, score, score);
}

inline std::string pairs_answer(const std::string& prompt, std::optional<int64_t> seed) {
  if (is_step_judge_prompt(prompt)) {
    size_t at = prompt.find("=== THE PART TO GRADE (");
    int64_t words = std::atoll(prompt.c_str() + at + 23);
    size_t wc = prompt.find("Word Count: ", at);
    int64_t budget = std::atoll(prompt.c_str() + wc + 12);
    double off =
        budget > 0 ? std::fabs(static_cast<double>(words - budget)) / static_cast<double>(budget) : 1.0;
    int score = std::max(1, 5 - static_cast<int>(std::lround(off * 8)));
    return judge_json(score, fmt::format("{} words for a budget of {}", words, budget));
  }
  if (is_whole_judge_prompt(prompt)) {
    bool revised = prompt.find(" part0:") != std::string::npos;
    return judge_json(revised ? 4 : 3, revised ? "tighter" : "the draft");
  }
  FakeModel m;
  m.dev_lo = 0.5;
  m.dev_hi = 1.5;
  if (FakeModel::is_plan_prompt(prompt) || FakeModel::is_critique_prompt(prompt) ||
      FakeModel::is_revise_prompt(prompt))
    return m.answer(prompt);
  return m.paragraph(prompt + fmt::format("\n#seed {}", seed.value_or(-1)));
}

}  // namespace lw::testing
