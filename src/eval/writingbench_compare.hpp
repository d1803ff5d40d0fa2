#pragma once
// bench compare for WritingBench reports (DIR/writingbench.json): models side by side overall, by
// domain, by requirement (R and C) and by subdomain.
#include <filesystem>
#include <string>
#include <vector>

#include "eval/compare.hpp"

namespace lw::eval {

// Reads DIR/writingbench.json (or that file). InputError naming the file when it is not a
// `bench writingbench score` report.
CompareEntry load_writingbench_report(const std::filesystem::path& dir_or_file);

std::string writingbench_compare_markdown(const std::vector<CompareEntry>& entries);
std::string writingbench_compare_html(const std::vector<CompareEntry>& entries);
// Writes DIR/writingbench_compare.md and .html atomically.
void write_writingbench_compare(const std::vector<CompareEntry>& entries, const std::filesystem::path& dir);

}  // namespace lw::eval
