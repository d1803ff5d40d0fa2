#pragma once
// The format-specific loaders behind load_tokenizer(). Each throws InputError naming the file and
// what is wrong; the *_text / GgufFile overloads parse in-memory content (tests, fuzzing).
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/gguf.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lw::tok {

// Settings read from a model directory's tokenizer_config.json (HF), when present.
struct HfTokenizerConfig {
  struct Added {
    std::string content;
    bool special = true;
  };
  std::map<TokenId, Added> added;  // added_tokens_decoder
  std::optional<std::string> bos, eos, pad;
};
// Reads dir/tokenizer_config.json if it exists (nullopt otherwise).
std::optional<HfTokenizerConfig> read_hf_tokenizer_config(const std::filesystem::path& dir);
HfTokenizerConfig parse_hf_tokenizer_config(std::string_view json, const std::string& name);

// tiktoken rank files ("base64 rank" lines). Special tokens come from a sibling
// tokenizer_config.json, else from the known layouts (cl100k_base, Llama 3, GLM-4) by size.
std::unique_ptr<Tokenizer> load_tiktoken(const std::filesystem::path& path);
std::unique_ptr<Tokenizer> load_tiktoken_text(std::string_view content, const std::string& name,
                                              const HfTokenizerConfig* config = nullptr);
bool looks_like_tiktoken(std::string_view head);

// HF tokenizer.json with a byte-level BPE model.
std::unique_ptr<Tokenizer> load_hf_json(const std::filesystem::path& path);
std::unique_ptr<Tokenizer> load_hf_json_text(std::string_view json, const std::string& name,
                                             const HfTokenizerConfig* config = nullptr);
// True when the tokenizer.json is a byte-level BPE this loader handles.
bool hf_json_is_byte_level(std::string_view json);

// GGUF vocabularies: tokenizer.ggml.model "gpt2" (byte-level BPE, pre-tokenizer from
// tokenizer.ggml.pre) or "llama" (SentencePiece, implemented natively).
std::unique_ptr<Tokenizer> load_gguf_vocab(const io::GgufFile& gguf);

// SentencePiece .model files through libsentencepiece.
std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& path);
std::unique_ptr<Tokenizer> load_sentencepiece_bytes(std::string_view proto, const std::string& name);

}  // namespace lw::tok
