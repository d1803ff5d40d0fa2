#pragma once
// Byte-level BPE (tiktoken, HF tokenizer.json, GGUF "gpt2" vocabularies): special/added tokens
// are cut out of the text first, the rest is split by the regex pre-tokenizer and each piece is
// merged by rank (bpe_merge.hpp). Decoding concatenates the tokens' bytes.
#include <string>
#include <vector>

#include "tokenizer/bpe_merge.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab.hpp"
#include "tokenizer/vocab_tokenizer.hpp"

namespace lw::tok {

struct BpeVocabEntry {
  std::string text;   // the token's string form as stored (byte-level mapped for HF/GGUF)
  std::string bytes;  // what it decodes to (special and added tokens: their literal text)
  TokenAttr attr = TokenAttr::normal;
};

// Everything a loader fills in.
struct BpeConfig {
  std::string source;  // file name, for messages
  std::vector<BpeVocabEntry> vocab;  // indexed by id
  bool rank_by_bytes = false;        // tiktoken: no merge list, ranks are ids
  std::vector<std::pair<TokenId, TokenId>> merges;  // in priority order (merge-list vocabularies)
  PreTokenizer pre;
  bool ignore_merges = false;     // a piece that is itself a token is emitted whole
  bool add_prefix_space = false;  // HF ByteLevel(add_prefix_space)
  TokenId bos = -1, eos = -1, pad = -1, unk = -1;
  std::vector<TokenId> extra_stops;
};

class BpeTokenizer final : public VocabTokenizer<BpeConfig> {
 public:
  explicit BpeTokenizer(BpeConfig cfg);

  std::vector<TokenId> encode(std::string_view text, bool allow_special = false) const override;
  std::string decode(std::span<const TokenId> ids) const override;
  std::string token_bytes(TokenId id) const override;
  std::string kind() const override { return "bpe"; }

  // Encodes text with no special-token handling (one pre-tokenizer run).
  void encode_ordinary(std::string_view text, std::vector<TokenId>& out) const;
  // The merge reference path (tests).
  std::vector<TokenId> encode_naive(std::string_view text) const;

 private:

  BpeRanks ranks_;
};

}  // namespace lw::tok
