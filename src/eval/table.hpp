#pragma once
// A table of pre-formatted cells, written as Markdown or as HTML (both escaped).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lw::eval {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> numeric;  // per column: right-aligned (default: all but the first)
};

std::string to_markdown(const Table& t);
std::string to_html(const Table& t);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string escape_html(std::string_view s);
// A Markdown table cell: '|' escaped, newlines as spaces.
std::string escape_markdown_cell(std::string_view s);
// Text shortened to at most max_chars code points, with "..." when cut.
std::string shorten(std::string_view s, size_t max_chars);

// "81.3", or "n/a" for an absent value.
std::string format_score(const std::optional<double>& v);

// A complete, self-contained HTML page (inline CSS, no external resources).
std::string html_page(const std::string& title, const std::string& body);

}  // namespace lw::eval
