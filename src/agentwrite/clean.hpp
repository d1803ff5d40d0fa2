#pragma once
// Cleaning of written paragraphs: the model sometimes starts a paragraph with its plan label
// ("Paragraph 3:", "**Paragraph 3 -**", "段落3：", or an echo of the whole plan line) and leaves
// zero-width characters; both are removed before paragraphs are joined.
#include <string>
#include <string_view>
#include <vector>

namespace lw::agentwrite {

// Removes zero-width and byte-order-mark characters (U+200B..U+200D, U+2060, U+FEFF) and
// replaces invalid UTF-8 with U+FFFD.
std::string strip_invisible(std::string_view text);

// Removes a leading paragraph identifier (and a leading echo of the plan line), invisible
// characters and surrounding blank space.
std::string clean_paragraph(std::string_view text);

// A paragraph cut off by a token limit, ended at its last full sentence: the text up to the last
// sentence end (. ! ? or 。！？, with closing quotes or brackets after it) that is followed by white
// space or the end. The text unchanged when it has no sentence end.
std::string trim_to_last_sentence(std::string_view text);

// Cleans each paragraph and joins the non-empty ones with a blank line.
std::string join_paragraphs(const std::vector<std::string>& paragraphs);

}  // namespace lw::agentwrite
