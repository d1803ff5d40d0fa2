#pragma once
// A deterministic stand-in for a model that answers AgentWrite prompts: the answer is a function
// of the prompt alone, so runs can be compared byte for byte.
//
// Instructions look like "Write a 900-word essay about topic 17". A plan prompt (recognised by
// the phrases of the default and the reference plan templates) gets `steps` lines in the reference
// format with the target shared evenly. A write prompt gets exactly the budget of its step
// (the last "Word Count: N words" after the step marker), times an optional deviation factor
// drawn from the prompt's hash in [dev_lo, dev_hi].
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "agentwrite/length_request.hpp"

namespace lw::testing {

inline uint64_t fnv(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

struct FakeModel {
  int steps = 3;              // plan steps (0: derive 3..5 from the instruction)
  double dev_lo = 1.0, dev_hi = 1.0;
  bool label_paragraphs = true;  // start every other paragraph with "Paragraph N:" (to test cleaning)

  static bool is_plan_prompt(std::string_view p) {
    return p.find("Divide the piece into paragraphs") != std::string_view::npos ||
           p.find("break it down") != std::string_view::npos;
  }

  // The instruction's topic number ("topic 17" → 17), -1 if none.
  static int topic(std::string_view p) {
    size_t pos = p.find("topic ");
    if (pos == std::string_view::npos) return -1;
    return std::atoi(std::string(p.substr(pos + 6, 8)).c_str());
  }

  // The step being written: the marker of the default or the reference write template, then
  // "Paragraph K - ... Word Count: N words". Returns K (1-based) and sets words; 0 if not found.
  static int step_of(std::string_view p, int64_t& words) {
    size_t pos = p.rfind("Now write the next part: ");
    if (pos == std::string_view::npos) pos = p.rfind("continue writing ");
    if (pos == std::string_view::npos) return 0;
    std::string_view rest = p.substr(pos);
    size_t par = rest.find("Paragraph ");
    if (par == std::string_view::npos) return 0;
    int k = std::atoi(std::string(rest.substr(par + 10, 6)).c_str());
    size_t wc = rest.find("Word Count: ");
    words = wc == std::string_view::npos ? 100 : std::atoll(std::string(rest.substr(wc + 12, 12)).c_str());
    return k;
  }

  std::string plan(std::string_view prompt) const {
    // The instruction is the line naming the topic (the template around it mentions lengths too).
    size_t at = prompt.find("topic ");
    size_t b = at == std::string_view::npos ? 0 : prompt.rfind('\n', at);
    b = (b == std::string_view::npos || at == std::string_view::npos) ? 0 : b + 1;
    size_t e = at == std::string_view::npos ? prompt.size() : prompt.find('\n', at);
    int64_t target = agentwrite::explicit_target_words(prompt.substr(b, e == std::string_view::npos ? e : e - b));
    if (target <= 0) target = 600;
    int n = steps > 0 ? steps : 3 + static_cast<int>(fnv(prompt) % 3);
    std::string out = "Here is the plan:\n\n";
    int64_t each = target / n;
    for (int i = 1; i <= n; ++i)
      out += fmt::format("Paragraph {} - Main Point: part {} of topic {} - Word Count: {} words\n", i, i,
                         topic(prompt), each);
    return out;
  }

  std::string paragraph(std::string_view prompt) const {
    int64_t words = 0;
    int k = step_of(prompt, words);
    uint64_t h = fnv(prompt);
    double u = static_cast<double>(h % 1000003) / 1000003.0;
    double factor = dev_lo + (dev_hi - dev_lo) * u;
    auto n = static_cast<int64_t>(static_cast<double>(words) * factor + 0.5);
    static const char* vocab[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};
    std::string out = (label_paragraphs && k % 2 == 1) ? fmt::format("**Paragraph {}:** ", k) : std::string();
    out += fmt::format("Topic{} part{}:", topic(prompt), k);  // not a word (letters+digits), marks the step
    for (int64_t i = 0; i < n; ++i) {
      out += ' ';
      out += vocab[(h >> (i % 61)) % 8];
    }
    out += '.';
    return out;
  }

  // Refine prompts (the default critique and revise templates): the part under review is
  // "Paragraph K - ..." (returns K) or the whole text (returns 0); words is its budget.
  static bool is_critique_prompt(std::string_view p) {
    return p.find("Review the draft as a demanding editor") != std::string_view::npos;
  }
  static bool is_revise_prompt(std::string_view p) {
    return p.find("An editor's critique of the draft:") != std::string_view::npos;
  }
  static int refine_step_of(std::string_view p, int64_t& words) {
    size_t pos = p.find("The part under review: ");
    if (pos == std::string_view::npos) return -1;
    std::string_view rest = p.substr(pos + 23);
    size_t wc = rest.find("Word Count: ");
    words = wc == std::string_view::npos ? 100 : std::atoll(std::string(rest.substr(wc + 12, 12)).c_str());
    if (rest.rfind("Paragraph ", 0) != 0) return 0;
    return std::atoi(std::string(rest.substr(10, 6)).c_str());
  }
  std::string critique(std::string_view prompt) const {
    int64_t words = 0;
    int k = refine_step_of(prompt, words);
    return fmt::format("Critique{}.{}: tighten it to {} words.", topic(prompt), k, words);
  }
  // A revision: exactly the budget, in sentences of 10 words, marked "RevT partK:".
  std::string revision(std::string_view prompt) const {
    int64_t words = 0;
    int k = refine_step_of(prompt, words);
    uint64_t h = fnv(prompt);
    auto n = static_cast<int64_t>(static_cast<double>(words) * revise_factor + 0.5);
    static const char* vocab[] = {"india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"};
    std::string out = fmt::format("Rev{} part{}:", topic(prompt), k);
    for (int64_t i = 0; i < n; ++i) {
      out += ' ';
      out += vocab[(h >> (i % 61)) % 8];
      if (i % 10 == 9 || i + 1 == n) out += '.';
    }
    return out;
  }
  double revise_factor = 1.0;  // revisions run this many times their budget

  std::string answer(std::string_view prompt) const {
    if (is_plan_prompt(prompt)) return plan(prompt);
    if (is_critique_prompt(prompt)) return critique(prompt);
    if (is_revise_prompt(prompt)) return revision(prompt);
    return paragraph(prompt);
  }
};

}  // namespace lw::testing
