#include "tokenizer/byte_level.hpp"

#include <array>

#include "text/utf8.hpp"

namespace lw::tok {
namespace {

struct Tables {
  std::array<char32_t, 256> to_cp{};
  std::array<int, 512> from_cp{};  // every mapped code point is below 512
  Tables() {
    from_cp.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      to_cp[b] = cp;
      from_cp[cp] = b;
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

std::string byte_level_encode(std::string_view raw) {
  const Tables& t = tables();
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char b : raw) text::append_utf8(out, t.to_cp[b]);
  return out;
}

std::optional<std::string> byte_level_decode(std::string_view mapped) {
  const Tables& t = tables();
  std::string out;
  out.reserve(mapped.size());
  for (size_t i = 0; i < mapped.size();) {
    char32_t cp = text::decode_one(mapped, i);
    if (cp >= 512 || t.from_cp[cp] < 0) return std::nullopt;
    out.push_back(static_cast<char>(t.from_cp[cp]));
  }
  return out;
}

}  // namespace lw::tok
