#pragma once
// The one tokenizer interface used by packing (data/), the engine and the server. Implementations:
// byte-level BPE (tiktoken rank files, HF tokenizer.json, GGUF gpt2-style vocabularies) and
// SentencePiece (.model via libsentencepiece, GGUF llama-style vocabularies natively).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lw::tok {

using TokenId = int32_t;

class Tokenizer {
 public:
  virtual ~Tokenizer();

  // Encodes text. Special tokens (<|eot_id|>, [gMASK], ...) are matched in the text only when
  // allow_special is true; otherwise their text is encoded as ordinary text. No BOS is added.
  virtual std::vector<TokenId> encode(std::string_view text, bool allow_special = false) const = 0;
  // Exact inverse of encode for ordinary text (bytes, not necessarily valid UTF-8 mid-stream).
  virtual std::string decode(std::span<const TokenId> ids) const = 0;
  // The bytes one token stands for (special tokens: their text). A token of the GGUF type "unused"
  // (a placeholder that pads a vocabulary, e.g. [PAD70000]) stands for nothing, as in llama.cpp,
  // so a model that emits one adds no text.
  virtual std::string token_bytes(TokenId id) const = 0;

  // Vocabulary lookups by the token's string form as stored in the vocabulary.
  virtual std::optional<TokenId> token_to_id(std::string_view token) const = 0;
  virtual std::string id_to_token(TokenId id) const = 0;
  virtual int32_t vocab_size() const = 0;
  virtual bool is_special(TokenId id) const = 0;

  // -1 when the vocabulary has none.
  virtual TokenId bos_id() const = 0;
  virtual TokenId eos_id() const = 0;
  virtual TokenId pad_id() const = 0;
  // Every id that ends a generation (eos, <|eot_id|>, <|eom_id|>, <|user|> for GLM, ...).
  virtual std::vector<TokenId> stop_ids() const = 0;

  // A stable hash of the vocabulary and settings (hex), recorded in pack manifests.
  virtual std::string fingerprint() const = 0;
  // "bpe" or "spm".
  virtual std::string kind() const = 0;

  // The text token `id` adds when it follows `prev` (-1 at the start) in decode(); decode() is
  // the concatenation of these. Byte-level BPE: token_bytes(id). SentencePiece drops the dummy
  // prefix space at the start and after a special token. Used by StreamDecoder.
  virtual std::string decode_piece(TokenId id, TokenId prev) const;
};

// Loads a tokenizer from a .tiktoken file, a tokenizer.json, a SentencePiece .model, a .gguf
// file or a model directory (tokenizer.json, tokenizer.model or *.tiktoken inside). Throws
// InputError naming the file and what is wrong.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path);

// Encodes many texts on `threads` threads (0: hardware concurrency); result i is encode(texts[i]).
std::vector<std::vector<TokenId>> encode_batch(const Tokenizer& tok,
                                               std::span<const std::string> texts,
                                               bool allow_special = false, int threads = 0);

// Incremental decoding for streaming: feed ids one by one, get back only complete UTF-8 text.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tok) : tok_(tok) {}
  // Returns the newly completed text (possibly empty while a character is split across tokens).
  std::string push(TokenId id);
  // Returns whatever is pending (invalid trailing bytes become U+FFFD).
  std::string flush();

 private:
  const Tokenizer& tok_;
  std::string pending_;
  TokenId prev_ = -1;
};

}  // namespace lw::tok
