#pragma once
// Resumable outputs. Pipelines append each finished item to their output JSONL (fsynced), so a run
// killed with SIGKILL loses only the items in flight. A rerun reads what is there, tolerating a
// line torn by the kill, and skips the items already finished.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/jsonl.hpp"

namespace lw::eval {

// The records of an existing output file; none when it does not exist. A torn final line (no
// newline: an interrupted write) is ignored; any other malformed line is an InputError.
std::vector<io::Record> read_existing_output(const std::filesystem::path& path);

// A multiset of item keys: how many finished lines each key has. Items with the same key (the
// same prompt twice in a data file) are matched by occurrence: the k-th occurrence is finished
// when at least k+1 lines with that key exist.
class DoneSet {
 public:
  void add(const std::string& key) { ++count_[key]; }
  // Call in input order; returns true when this occurrence of key is already finished.
  bool take(const std::string& key);

 private:
  std::map<std::string, int64_t> count_;
};

// Key of a data or prediction line for predict: its prompt.
std::string predict_key(const io::Json& item);
// Key of a prediction for judge (and for matching judgements to predictions): prompt and response,
// so a regenerated response is judged again rather than matched to a stale judgement.
std::string judge_key(const io::Json& item);

}  // namespace lw::eval
