#pragma once
// SentencePiece (unigram-scored BPE as llama.cpp runs it) over a GGUF "llama" vocabulary:
// spaces become "▁", a "▁" is prefixed to each text fragment (add_space_prefix), the fragment is
// split into UTF-8 characters, and adjacent pairs whose concatenation is a token are merged by
// highest score (leftmost on ties) with a heap. A final piece that is no token is re-split along
// its merge history; characters that are no token fall back to their <0xAB> byte tokens.
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/bpe_merge.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab.hpp"
#include "tokenizer/vocab_tokenizer.hpp"

namespace lw::tok {

struct SpmVocabEntry {
  std::string text;  // the piece, with "▁" for spaces
  float score = 0;
  TokenAttr attr = TokenAttr::normal;
};

struct SpmConfig {
  std::string source;
  std::vector<SpmVocabEntry> vocab;
  bool add_space_prefix = true;
  TokenId bos = -1, eos = -1, pad = -1, unk = -1;
  std::vector<TokenId> extra_stops;
};

class SpmTokenizer final : public VocabTokenizer<SpmConfig> {
 public:
  explicit SpmTokenizer(SpmConfig cfg);

  std::vector<TokenId> encode(std::string_view text, bool allow_special = false) const override;
  std::string decode(std::span<const TokenId> ids) const override;
  std::string token_bytes(TokenId id) const override;
  std::string decode_piece(TokenId id, TokenId prev) const override;
  std::string kind() const override { return "spm"; }

 private:
  void encode_fragment(std::string_view text, bool prefix, std::vector<TokenId>& out) const;

  std::array<TokenId, 256> byte_token_{};
};

}  // namespace lw::tok
