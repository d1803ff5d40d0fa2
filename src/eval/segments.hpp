#pragma once
// Quality by position (`bench judge --segments K`): does a long text get worse as it goes on? Each
// response is split into K consecutive parts at paragraph boundaries, and each part is judged on
// the six dimensions with the request and the text before it (the last --context-chars characters)
// as context. `bench score --segment-judge FILE` then reports S_q by relative position and the drop
// (S_q of the last position minus S_q of the first).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eval/judge_parse.hpp"
#include "io/jsonl.hpp"

namespace lw::eval {

// Paragraphs are separated by blank lines. Cuts the text at the paragraph boundaries closest to
// each i/K of its word count; fewer parts when it has fewer than K paragraphs (never an empty
// part). The parts joined back (with the blank lines between them) give the text again.
std::vector<std::string> split_segments(std::string_view text, int k);

// The last `budget` bytes of text (cut at a paragraph or line start when one is near, else at a
// code point), prefixed with "[...]\n" when shortened; the whole text when it fits.
std::string context_tail(std::string_view text, size_t budget);

// longwriter's segment judge wording: $INST$, $CONTEXT$ (the text before the part) and $RESPONSE$
// (the part); InputError naming `origin` when one is missing.
const std::string& default_segment_template();
void validate_segment_template(std::string_view tmpl, const std::string& origin);

struct PositionStats {
  int k = 0;
  std::vector<int64_t> n;                  // segments per position
  std::vector<std::optional<double>> s_q;  // per position: mean of the segments' S_q (0..100)
  std::optional<double> drop;              // s_q[k-1] - s_q[0]
  int64_t responses = 0;
};

// From judge lines with "segment_scores" (one object of six scores per part). A response with n
// parts puts part s at position floor(s * k / n). Only lines whose (prompt, response) is among
// `preds` count (stale ones are skipped).
PositionStats analyze_positions(const std::vector<io::Record>& judge_lines,
                                const std::vector<io::Record>& preds, int k);

io::Json positions_to_json(const PositionStats& p);

// True for a judge line whose "segment_scores" is a non-empty list of six valid scores each.
bool is_segment_judged(const io::Json& line);

}  // namespace lw::eval
