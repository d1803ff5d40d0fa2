#pragma once
// What a resumable pipeline run did, for the command's summary line and exit code.
#include <cstdint>
#include <string>
#include <vector>

namespace lw::eval {

struct PipelineSummary {
  int64_t total = 0;         // items in the input (after --limit)
  int64_t already_done = 0;  // skipped: finished by an earlier run
  int64_t completed = 0;     // finished by this run
  int64_t failed = 0;        // failed in this run (a rerun retries them)
  int64_t truncated = 0;     // predict: finished with finish_reason "length"
  int64_t retried = 0;       // judge: items that needed more than one answer
  std::vector<std::string> failures;  // one line per failed item (the first 20)

  void add_failure(std::string line) {
    ++failed;
    if (failures.size() < 20) failures.push_back(std::move(line));
  }
};

// "120 items: 80 already done, 38 done now, 2 failed (rerun to retry)".
std::string describe(const PipelineSummary& s, const std::string& unit);

}  // namespace lw::eval
