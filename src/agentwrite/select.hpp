#pragma once
// Instruction selection (`agentwrite select`), after the paper: keep instructions that ask for a
// long output, explicitly (a length request at or above a threshold: "5000 words", "5000字",
// "一万字") or implicitly (a long-form kind: novel, report, thesis — the [keep] rules); drop those
// matching [drop] rules (toxic terms, data scraping) and near-duplicates of an earlier kept one.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agentwrite/rules.hpp"

namespace lw::agentwrite {

struct SelectOptions {
  int64_t min_words = 2000;     // an explicit request must be at least this long
  double dup_threshold = 0.8;   // estimated Jaccard similarity of 5-character shingles
  bool dedup = true;
};

struct Decision {
  bool keep = false;
  std::string reason;  // "explicit length", "long-form: longform", "rule: toxic", "too short: 500 < 2000", ...
  std::string detail;  // the rule or mention that decided
};

// The decision for one instruction, without duplicate detection.
Decision classify_instruction(std::string_view prompt, const RuleSet& rules, const SelectOptions& opts);

// Near-duplicate detection with MinHash signatures and banded LSH. add() returns the index of an
// earlier near-duplicate, or -1 (and then remembers the text).
class NearDuplicates {
 public:
  explicit NearDuplicates(double threshold = 0.8) : threshold_(threshold) {}
  int64_t add(std::string_view text);
  // The estimated Jaccard similarity of two texts (for tests).
  static double similarity(std::string_view a, std::string_view b);

 private:
  double threshold_;
  std::vector<std::vector<uint64_t>> sigs_;
  std::map<std::pair<int, uint64_t>, std::vector<int64_t>> bands_;
};

struct SelectReport {
  int64_t total = 0, kept = 0;
  std::map<std::string, int64_t> kept_by_reason, dropped_by_reason;
};

// Decides every instruction in order, near-duplicates included (the later one is dropped with
// reason "near-duplicate"), and counts the reasons.
std::vector<Decision> select_all(const std::vector<std::string>& prompts, const RuleSet& rules,
                                 const SelectOptions& opts, SelectReport& report);

// The report's bucket for a reason ("too short: 500 < 2000" → "too short").
std::string reason_bucket(const std::string& reason);

}  // namespace lw::agentwrite
