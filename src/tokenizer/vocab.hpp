#pragma once
// Pieces shared by the tokenizer implementations: token attributes, the matcher that finds
// special/added tokens in text, and a stable fingerprint hash.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace lw::tok {

// The GGUF token types (tokenizer.ggml.token_type), used by every implementation.
enum class TokenAttr : uint8_t {
  normal = 1,
  unknown = 2,
  control = 3,       // special: matched in text only when allowed (<|eot_id|>, <s>, [gMASK])
  user_defined = 4,  // added token: always matched in text, decodes to its literal text
  unused = 5,
  byte = 6,          // SentencePiece byte-fallback token <0xAB>
};
TokenAttr token_attr_from_int(int64_t v);

// Finds control and user-defined tokens in text, leftmost-longest, with a byte trie.
class SpecialMatcher {
 public:
  void add(std::string_view text, TokenId id, bool control);
  bool empty() const { return nodes_.size() <= 1; }
  struct Match {
    size_t start = 0, len = 0;
    TokenId id = -1;
  };
  // The first match at or after `from`; len 0 when none. Control tokens only if allow_control.
  Match find(std::string_view text, size_t from, bool allow_control) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> kids;
    TokenId id = -1;
    bool control = false;
  };
  int32_t child(int32_t node, uint8_t b) const;
  std::vector<Node> nodes_ = std::vector<Node>(1);
  bool first_[256] = {};
};

// FNV-1a based 128-bit hash (two 64-bit lanes), rendered as 32 hex digits.
class Fingerprint {
 public:
  void add(std::string_view s);
  void add_int(int64_t v);
  std::string hex() const;

 private:
  uint64_t a_ = 0xcbf29ce484222325ull, b_ = 0x84222325cbf29ce4ull;
};

// Names of tokens that end a generation when present as specials (besides eos).
const std::vector<std::string>& known_stop_token_names();

// Sorted, unique stop ids of a tokenizer: eos (when >= 0), extra_stops, and every known stop token
// name that the vocabulary holds as a special token. Shared by the BPE and SentencePiece tokenizers.
std::vector<TokenId> collect_stop_ids(const Tokenizer& tok, TokenId eos, const std::vector<TokenId>& extra_stops);

}  // namespace lw::tok
