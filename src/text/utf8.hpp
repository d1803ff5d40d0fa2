#pragma once
// UTF-8 decoding and encoding. Invalid input never throws: each maximal invalid subsequence
// decodes to U+FFFD (the WHATWG / Unicode "substitution of maximal subparts" practice).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lw::text {

constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes one code point starting at s[i]; advances i past it (at least one byte).
char32_t decode_one(std::string_view s, size_t& i);

std::vector<char32_t> decode(std::string_view s);
void append_utf8(std::string& out, char32_t cp);
std::string encode(const std::vector<char32_t>& cps);

// Returns s with every invalid sequence replaced by U+FFFD; valid input is returned unchanged.
std::string sanitize(std::string_view s);
bool is_valid(std::string_view s);

// Length of the longest prefix of s that ends on a code point boundary, treating an incomplete
// but so-far-valid trailing sequence as not yet complete (for streaming decode).
size_t complete_prefix_length(std::string_view s);

}  // namespace lw::text
