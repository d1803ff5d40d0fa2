#include "eval/table.hpp"

#include <fmt/format.h>

#include "text/utf8.hpp"

namespace lw::eval {

namespace {
bool is_numeric(const Table& t, size_t col) { return col < t.numeric.size() ? t.numeric[col] : col > 0; }
}  // namespace

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : text::sanitize(s)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') out += ' ';
        else out += c;
    }
  }
  return out;
}

std::string escape_markdown_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string shorten(std::string_view s, size_t max_chars) {
  std::vector<char32_t> cps = text::decode(s);
  if (cps.size() <= max_chars) return text::encode(cps);
  cps.resize(max_chars);
  return text::encode(cps) + "...";
}

std::string format_score(const std::optional<double>& v) { return v ? fmt::format("{:.1f}", *v) : "n/a"; }

std::string to_markdown(const Table& t) {
  std::string out = "|";
  for (const auto& h : t.header) {
    out += ' ';
    out += escape_markdown_cell(h);
    out += " |";
  }
  out += "\n|";
  for (size_t c = 0; c < t.header.size(); ++c) out += is_numeric(t, c) ? " ---: |" : " --- |";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& cell : row) {
      out += ' ';
      out += escape_markdown_cell(cell);
      out += " |";
    }
    out += "\n";
  }
  return out;
}

std::string to_html(const Table& t) {
  std::string out = "<table>\n<thead><tr>";
  for (size_t c = 0; c < t.header.size(); ++c)
    out += fmt::format("<th{}>{}</th>", is_numeric(t, c) ? " class=\"num\"" : "", escape_html(t.header[c]));
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (size_t c = 0; c < row.size(); ++c)
      out += fmt::format("<td{}>{}</td>", is_numeric(t, c) ? " class=\"num\"" : "", escape_html(row[c]));
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  return out;
}

std::string html_page(const std::string& title, const std::string& body) {
  static const char* css =
      "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK SC',sans-serif;"
      "margin:2em auto;max-width:1100px;padding:0 1em;color:#222;line-height:1.45}"
      "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}"
      "table{border-collapse:collapse;margin:.6em 0;font-size:.92em}"
      "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
      "th{background:#f3f3f3}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
      "tbody tr:nth-child(even){background:#fafafa}.meta{color:#666;font-size:.9em}"
      ".headline{font-size:1.15em}.headline b{font-size:1.3em}"
      ".warn{background:#fff4e0;border:1px solid #f0c070;padding:.5em .8em;border-radius:4px}"
      "svg{max-width:100%;height:auto;font-family:inherit}";
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      escape_html(title), css, body);
}

}  // namespace lw::eval
