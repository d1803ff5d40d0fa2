#include "demo/sft_sets.hpp"

#include <fmt/format.h>

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
  return {{"messages", {{{"role", "user"}, {"content", user}}, {{"role", "assistant"}, {"content", assistant}}}}};
}

// A plan in the reference format, splitting `words` into paragraphs of 100..400 words (multiples of
// 10), plus one write example per step.
void plan_examples(const std::string& topic, int64_t words, std::mt19937_64& rng, std::vector<io::Json>& out) {
  std::vector<int64_t> parts;
  int64_t left = words;
  while (left > 0) {
    int64_t p = std::min<int64_t>(left, std::uniform_int_distribution<int64_t>(10, 40)(rng) * 10);
    if (left - p > 0 && left - p < 60) p = left;  // no tiny tail paragraph
    parts.push_back(p);
    left -= p;
  }
  std::string inst = make_instruction(Lang::en, topic, words, rng);
  std::string plan;
  std::vector<std::string> steps;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string step = fmt::format("Paragraph {} - Main Point: {} - Word Count: {} words", i + 1, topic, parts[i]);
    plan += (i ? "\n" : "") + step;
    steps.push_back(step);
  }
  std::string plan_prompt = demo_plan_template();
  plan_prompt.replace(plan_prompt.find("$INST$"), 6, inst);
  out.push_back(chat(plan_prompt, plan));
  // One write example per plan, on a random step (keeps the set small).
  size_t k = std::uniform_int_distribution<size_t>(0, steps.size() - 1)(rng);
  out.push_back(chat(steps[k], generate_text(Lang::en, topic, parts[k], rng)));
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
  auto capped = generate_corpus(co);

  co.count = scale.n_long;
  co.min_words = scale.short_cap + 10;
  co.max_words = scale.long_cap;
  co.seed = seed + 1;
  co.round_to = scale.long_round_to;  // fewer distinct long targets: each is seen more often
  auto extra = generate_corpus(co);

  std::vector<io::Json> capped_lines, long_lines;
  SftSets s;
  for (const auto& e : capped) {
    capped_lines.push_back(chat(e.instruction, e.response));
    s.capped_max_words = std::max(s.capped_max_words, e.target_words);
  }
  long_lines = capped_lines;
  for (const auto& e : extra) {
    long_lines.push_back(chat(e.instruction, e.response));
    s.long_max_words = std::max(s.long_max_words, e.target_words);
  }
  std::mt19937_64 rng(seed + 2);
  for (int64_t i = 0; i < scale.n_plan; ++i) {
    auto words = std::uniform_int_distribution<int64_t>(scale.short_cap / 10, scale.long_cap / 10)(rng) * 10;
    plan_examples(random_topic(Lang::en, rng), words, rng, long_lines);
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
