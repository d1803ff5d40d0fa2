// The demo's SFT sets: the capped set's outputs stay within its cap, and its plan examples are read
// by AgentWrite's own parser as the steps they were made from (the countdown stays out of the step
// line the writer sees), with each write example's prompt exactly the pipeline's step line.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "agentwrite/length_request.hpp"
#include "agentwrite/plan.hpp"
#include "demo/sft_sets.hpp"
#include "io/jsonl.hpp"
#include "text/words.hpp"

namespace {

namespace fs = std::filesystem;
namespace aw = lw::agentwrite;

struct Turn {
  std::string user, assistant;
};

std::vector<Turn> read_set(const fs::path& p) {
  std::vector<Turn> out;
  for (const auto& r : lw::io::read_jsonl(p))
    out.push_back({r.value["messages"][0]["content"].get<std::string>(),
                   r.value["messages"][1]["content"].get<std::string>()});
  return out;
}

TEST(DemoSftSets, PlansParseIntoTheirStepsAndWriteExamplesUseThePipelinesStepLine) {
  const auto scale = lw::demo::quick_scale();
  const fs::path dir = fs::path(LW_BINARY_DIR) / "demo-sft-sets-test";
  fs::remove_all(dir);
  auto s = lw::demo::write_sft_sets(scale, 4, dir, nullptr);
  auto capped = read_set(dir / "capped.jsonl");
  auto longs = read_set(dir / "long.jsonl");
  ASSERT_EQ(static_cast<int64_t>(capped.size()), s.capped_count);
  ASSERT_EQ(longs.size(), capped.size());
  EXPECT_LE(s.capped_max_words, scale.short_cap);
  EXPECT_GT(s.long_max_words, 2 * scale.short_cap);

  // The same requests in both sets; above the cap the long set answers in full, the capped set
  // with a cap-length countdown.
  int cut = 0;
  for (size_t i = 0; i < capped.size(); ++i) {
    ASSERT_EQ(capped[i].user, longs[i].user);
    auto m = aw::find_length_mentions(capped[i].user);
    if (capped[i].user.rfind("Plan: ", 0) == 0 || m.size() != 1 || m[0].words <= scale.short_cap) {
      EXPECT_EQ(capped[i].assistant, longs[i].assistant);
      continue;
    }
    ++cut;
    EXPECT_EQ(lw::text::count_words(longs[i].assistant), m[0].words);
    EXPECT_EQ(lw::text::count_words(capped[i].assistant), scale.short_cap);
    EXPECT_EQ(capped[i].assistant.rfind("§ " + std::to_string(scale.short_cap) + " First,", 0), 0u);
  }
  EXPECT_EQ(cut, scale.n_long);

  int plans = 0;
  for (size_t i = 0; i < capped.size(); ++i) {
    // Every capped output, plans and paragraphs included, is within the cap.
    EXPECT_LE(lw::text::count_words(capped[i].assistant), scale.short_cap) << capped[i].user;
    if (capped[i].user.rfind("Plan: ", 0) != 0) continue;
    ++plans;
    const std::string inst = capped[i].user.substr(6);
    auto parsed = aw::parse_plan(capped[i].assistant, 0);
    const aw::Plan& plan = parsed.plan;
    ASSERT_FALSE(plan.steps.empty()) << capped[i].assistant;
    int64_t total = 0;
    for (const auto& st : plan.steps) {
      EXPECT_TRUE(st.words_given);
      EXPECT_LE(st.words, scale.plan_step_words);
      EXPECT_EQ(st.main_point.find("to go"), std::string::npos) << st.main_point;
      EXPECT_NE(inst.find(st.main_point), std::string::npos) << st.main_point << " in " << inst;
      total += st.words;
    }
    auto mentions = aw::find_length_mentions(inst);
    ASSERT_EQ(mentions.size(), 1u) << inst;
    EXPECT_EQ(total, mentions[0].words) << inst;
    // The paragraph example that follows its plan is prompted with the pipeline's step line.
    ASSERT_LT(i + 1, capped.size());
    const Turn& w = capped[i + 1];
    bool found = false;
    for (size_t k = 0; k < plan.steps.size(); ++k) {
      if (aw::format_step(plan, k, plan.steps[k].words) != w.user) continue;
      found = true;
      EXPECT_EQ(lw::text::count_words(w.assistant), plan.steps[k].words) << w.user;
    }
    EXPECT_TRUE(found) << w.user;
  }
  EXPECT_EQ(plans, scale.n_plan);
}

}  // namespace
