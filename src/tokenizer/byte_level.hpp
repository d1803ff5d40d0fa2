#pragma once
// The GPT-2 byte <-> unicode mapping used by byte-level BPE vocabularies (HF tokenizer.json and
// GGUF "gpt2" models): every byte is shown as one printable code point, so the byte 0x20 (space)
// is "Ġ" (U+0120) and 0x0A is "Ċ" (U+010A). Printable Latin-1 bytes map to themselves.
#include <optional>
#include <string>
#include <string_view>

namespace lw::tok {

// Raw bytes -> the mapped UTF-8 string.
std::string byte_level_encode(std::string_view raw);
// Mapped string -> raw bytes; nullopt if it holds a code point outside the mapping.
std::optional<std::string> byte_level_decode(std::string_view mapped);

}  // namespace lw::tok
