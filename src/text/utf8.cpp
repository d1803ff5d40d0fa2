#include "text/utf8.hpp"

namespace lw::text {
namespace {

// Number of continuation bytes for a lead byte and the valid range of the second byte
// (Unicode Table 3-7, well-formed UTF-8 byte sequences).
struct Lead {
  int extra;
  unsigned char lo, hi;
};

Lead lead_info(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return {2, 0x80, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F};
  if (b == 0xF0) return {3, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
  if (b == 0xF4) return {3, 0x80, 0x8F};
  return {-1, 0, 0};
}

}  // namespace

char32_t decode_one(std::string_view s, size_t& i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  Lead L = lead_info(b0);
  if (L.extra < 0) {
    ++i;
    return kReplacementChar;
  }
  char32_t cp = b0 & (0x3F >> L.extra);
  size_t j = i + 1;
  for (int k = 0; k < L.extra; ++k, ++j) {
    if (j >= s.size()) {
      i = j;
      return kReplacementChar;
    }
    auto b = static_cast<unsigned char>(s[j]);
    unsigned char lo = k == 0 ? L.lo : 0x80, hi = k == 0 ? L.hi : 0xBF;
    if (b < lo || b > hi) {
      i = j;  // the maximal subpart ends before this byte
      return kReplacementChar;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i = j;
  return cp;
}

std::vector<char32_t> decode(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) out.push_back(decode_one(s, i));
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacementChar;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string encode(const std::vector<char32_t>& cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) append_utf8(out, c);
  return out;
}

bool is_valid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    char32_t cp = decode_one(s, i);
    if (cp == kReplacementChar && !(i - start == 3 && static_cast<unsigned char>(s[start]) == 0xEF))
      return false;
  }
  return true;
}

std::string sanitize(std::string_view s) {
  if (is_valid(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    char32_t cp = decode_one(s, i);
    if (cp == kReplacementChar) {
      append_utf8(out, cp);
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

size_t complete_prefix_length(std::string_view s) {
  // Look back at most 3 bytes for a lead byte whose sequence is still incomplete.
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    auto b = static_cast<unsigned char>(s[n - back]);
    if (b < 0x80) return n;            // ASCII: complete
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    Lead L = lead_info(b);
    if (L.extra < 0) return n;  // invalid lead: it will decode to U+FFFD, nothing to wait for
    if (static_cast<int>(back) - 1 < L.extra) {
      // Check the bytes seen so far are valid continuations; if not, nothing to wait for.
      size_t i = n - back;
      size_t j = i;
      char32_t cp = decode_one(s, j);
      (void)cp;
      if (j == n) return i;  // ran off the end: incomplete
      return n;
    }
    return n;
  }
  return n;
}

}  // namespace lw::text
