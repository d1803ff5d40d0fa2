#pragma once
// WritingBench (Wu et al., 2025) queries: one JSONL line per query with "index" (integer),
// "domain1" (one of six domains), "domain2" (a subdomain), "query" (the writing request) and
// "checklist" (the query's own criteria: objects with "name", "criteria_description" and rubric
// bands "1-2" ... "9-10"). Older files name the list "criteria"; both are read.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/jsonl.hpp"

namespace lw::eval {

struct WbQuery {
  int64_t index = 0;
  std::string domain1, domain2, query;
  std::vector<io::Json> checklist;  // each an object with a string "name"
  std::string where;                // file:line
};

// Reads a WritingBench query file. InputError naming file:line:field when "index" is not an
// integer, "query" not a string, the checklist missing or empty, a criterion without a string
// "name", two criteria of one query with the same name, or an index repeated.
std::vector<WbQuery> load_writingbench(const std::filesystem::path& path);

// index -> query (for joining predictions and scores with the query file).
std::map<int64_t, const WbQuery*> index_queries(const std::vector<WbQuery>& qs);

// Prompt records for run_predict: "index", "domain1", "domain2" and "prompt" (the query).
std::vector<io::Record> writingbench_prompts(const std::vector<WbQuery>& qs);

// The criterion's name (checked by load_writingbench).
std::string criterion_name(const io::Json& criterion);

}  // namespace lw::eval
