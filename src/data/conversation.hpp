#pragma once
// Turning one SFT record into a rendered, labelled token sequence.
//
// Input records (JSONL): {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}, ...]}
// (extra fields ignored). As in the LongWriter pipeline, U+200B, U+200C, U+200D and U+FEFF are
// removed from assistant text before rendering.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/chat_format.hpp"

namespace lw::data {

// Removes U+200B ZERO WIDTH SPACE, U+200C ZWNJ, U+200D ZWJ and U+FEFF BOM/ZWNBSP.
std::string remove_zero_width(std::string_view s);

// The messages of a record; InputError naming `where` (file:line) and the field otherwise.
std::vector<tok::ChatMessage> parse_messages(const nlohmann::json& record, const std::string& where);

enum class Overflow { skip, truncate_right, truncate_left };
Overflow parse_overflow(std::string_view name);  // "skip" | "truncate-right" | "truncate-left"
std::string overflow_name(Overflow o);

struct Sequence {
  std::vector<uint32_t> ids;     // (n)
  std::vector<uint8_t> labels;   // (n) 1 = labelled
  int64_t n_labelled = 0;
  bool truncated = false;
  std::string skip_reason;       // non-empty: the sequence is skipped ("too_long", "no_assistant", ...)
};

// Renders messages (assistant text cleaned of zero-width characters) and applies the length limit:
// longer than max_len -> skipped ("too_long") or cut on the right/left; a sequence with no labelled
// token is skipped ("no_assistant", or "no_labels_after_truncation").
Sequence make_sequence(std::vector<tok::ChatMessage> messages, const tok::ChatFormat& format, int64_t max_len,
                       Overflow overflow);

}  // namespace lw::data
