#pragma once
// bench compare: several models' score reports side by side (Markdown and HTML).
#include <filesystem>
#include <string>
#include <vector>

#include "io/jsonl.hpp"

namespace lw::eval {

struct CompareEntry {
  std::string name;    // the report's "name", else the directory's name
  std::string source;  // the report.json path
  io::Json report;
};

// Reads DIR/report.json (or a report.json path). InputError naming the file when it is missing or
// is not a `bench score` report.
CompareEntry load_report(const std::filesystem::path& dir_or_file);

std::string compare_markdown(const std::vector<CompareEntry>& entries);
std::string compare_html(const std::vector<CompareEntry>& entries);
// Writes DIR/compare.md and DIR/compare.html atomically.
void write_compare(const std::vector<CompareEntry>& entries, const std::filesystem::path& dir);

}  // namespace lw::eval
