#include "demo/sft_sets.hpp"

#include <cmath>

#include <fmt/format.h>

#include "agentwrite/plan.hpp"
#include "agentwrite/prompts.hpp"
#include "io/jsonl.hpp"

namespace lw::demo {

const std::string& demo_plan_template() {
  static const std::string t = "Plan: $INST$";
  return t;
}

const std::string& demo_write_template() {
  static const std::string t = "$STEP$";
  return t;
}

namespace {

io::Json chat(const std::string& user, const std::string& assistant) {
  return {
      {"messages", {{{"role", "user"}, {"content", user}}, {{"role", "assistant"}, {"content", assistant}}}}};
}

// A plan in the reference line format for `words` words: steps of scale.plan_step_words (the last
// one takes what is left), each line also saying how many words are still to write from it on
// ("Paragraph 2 (1800 to go) - ..."), so the planner only has to copy the target into the first
// line and step it down — the same countdown the texts carry — and stop after the line whose
// count fits in one step. The parser reads the main point after its label, so the count stays out
// of the step line the writer sees. One write example on a random step goes with it; its prompt is
// the step line exactly as the pipeline renders it (format_step).
void plan_examples(const DemoScale& scale, const std::string& topic, int64_t words, std::mt19937_64& rng,
                   std::vector<io::Json>& out) {
  const std::string inst = make_instruction(Lang::en, topic, words, rng);
  agentwrite::Plan plan;
  std::string plan_text;
  for (int64_t left = words; left > 0;) {
    const int64_t w = std::min(left, scale.plan_step_words);
    plan_text += fmt::format("{}Paragraph {} ({} to go) - Main Point: {} - Word Count: {} words",
                             plan.steps.empty() ? "" : "\n", plan.steps.size() + 1, left, topic, w);
    plan.steps.push_back({topic, w, true});
    left -= w;
  }
  out.push_back(chat(agentwrite::render_plan_prompt(demo_plan_template(), inst), plan_text));
  const size_t k = std::uniform_int_distribution<size_t>(0, plan.steps.size() - 1)(rng);
  const int64_t w = plan.steps[k].words;
  out.push_back(chat(agentwrite::format_step(plan, k, w), generate_text(Lang::en, topic, w, rng)));
}

void write_set(const std::filesystem::path& path, const std::vector<io::Json>& lines) {
  io::JsonlWriter w(path);
  for (const auto& l : lines) w.write(l);
  w.commit();
}

}  // namespace

SftSets write_sft_sets(const DemoScale& scale, uint64_t seed, const std::filesystem::path& dir,
                       std::vector<std::string>* all_texts) {
  CorpusOptions co;
  co.count = scale.n_short;
  co.min_words = scale.min_words;
  co.max_words = scale.short_cap;
  co.seed = seed;
  co.round_to = kBlockWords;
  co.zh_share = 0;  // the ruler asks in English; a million parameters are better spent on one language
  auto capped = generate_corpus(co);

  co.count = scale.n_long;
  co.min_words = scale.short_cap + kBlockWords;
  co.round_to = scale.long_round_to;
  co.max_words = scale.long_cap;
  co.seed = seed + 1;
  auto extra = generate_corpus(co);

  std::vector<io::Json> capped_lines, long_lines;
  SftSets s;
  for (const auto& e : capped) {
    capped_lines.push_back(chat(e.instruction, e.response));
    s.capped_max_words = std::max(s.capped_max_words, e.target_words);
  }
  s.capped_max_words = std::max(s.capped_max_words, scale.short_cap);
  // Plans and their paragraphs are short outputs, so both sets have them: AgentWrite drives the
  // capped model with them.
  std::mt19937_64 rng(seed + 2);
  // Targets in multiples of half a step: fewer distinct counts, each seen more often.
  const int64_t unit = std::max<int64_t>(kBlockWords, scale.plan_step_words / 2);
  const int64_t lo = 1, hi = scale.plan_max_words / unit;
  for (int64_t i = 0; i < scale.n_plan; ++i) {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    const auto words = static_cast<int64_t>(std::llround(std::exp(
                           std::log(double(lo)) + u * (std::log(double(hi)) - std::log(double(lo)))))) *
                       unit;
    plan_examples(scale, random_topic(Lang::en, rng), words, rng, capped_lines);
  }
  // The requests above the cap are in both sets: the long set answers them in full, the capped set
  // with short_cap words (a countdown from short_cap) — the data lacks long outputs, not long
  // requests, like the SFT data the paper measured.
  long_lines = capped_lines;
  std::mt19937_64 cut_rng(seed + 3);
  for (const auto& e : extra) {
    long_lines.push_back(chat(e.instruction, e.response));
    s.long_max_words = std::max(s.long_max_words, e.target_words);
    capped_lines.push_back(chat(e.instruction, generate_text(e.lang, e.topic, scale.short_cap, cut_rng)));
  }
  s.long_max_words = std::max(s.long_max_words, s.capped_max_words);
  s.capped_count = static_cast<int64_t>(capped_lines.size());
  s.long_count = static_cast<int64_t>(long_lines.size());
  std::filesystem::create_directories(dir);
  write_set(dir / "capped.jsonl", capped_lines);
  write_set(dir / "long.jsonl", long_lines);
  if (all_texts) {
    for (const auto& l : long_lines)
      for (const auto& m : l["messages"]) all_texts->push_back(m["content"].get<std::string>());
  }
  return s;
}

}  // namespace lw::demo
