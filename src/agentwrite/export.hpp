#pragma once
// `agentwrite export`: AgentWrite results → SFT chat lines plus a statistics report.
//   {"messages":[{"role":"user","content":PROMPT},{"role":"assistant","content":RESPONSE}]}
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::agentwrite {

struct ExportOptions {
  int64_t min_words = 0;  // drop responses shorter than this (0: keep all)
  int64_t max_words = 0;  // drop responses longer than this (0: no limit)
};

struct LengthStats {
  int64_t count = 0;
  std::vector<int64_t> histogram;  // 21 buckets: [0,1k), [1k,2k), ..., [19k,20k), 20k+
  double mean = 0, median = 0;
  int64_t min = 0, max = 0;
  std::map<std::string, int64_t> drops;  // reason → count (export's own and upstream rejects)

  nlohmann::json to_json() const;
  std::string to_text() const;  // a human-readable report
};

LengthStats length_stats(std::vector<int64_t> lengths);

// Reads write.jsonl (fields prompt and response; response_length is recomputed when absent),
// writes sft.jsonl atomically and returns the statistics. Upstream drops are read from
// rejects_path when that file exists (AgentWrite writes OUT.rejects.jsonl).
LengthStats export_sft(const std::string& in_path, const std::string& out_path, const ExportOptions& opts,
                       const std::string& rejects_path);

}  // namespace lw::agentwrite
