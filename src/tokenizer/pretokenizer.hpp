#pragma once
// Regex pre-tokenization with PCRE2 (UTF + UCP, JIT, invalid UTF-8 tolerated: bytes that are not
// valid UTF-8 never match and end up in their own pieces). A PreTokenizer is a sequence of split
// steps; each step runs its regex inside every piece the previous step produced and keeps both
// the matches and the text between them as pieces (HF "Split" with behavior Isolated; a single
// step with the GPT-2 or Llama 3 pattern is the usual tiktoken / ByteLevel split).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/regex.hpp"

namespace lw::tok {

using Piece = std::pair<size_t, size_t>;  // [begin, end) byte offsets into the text

class PreTokenizer {
 public:
  // Adds a split step (behavior Isolated).
  void add_split(const std::string& pattern);
  bool empty() const { return steps_.empty(); }
  // Splits text into pieces (clears `out`). With no steps the whole text is one piece.
  void split(std::string_view text, std::vector<Piece>& out) const;
  // The patterns, for fingerprints and --help output.
  std::vector<std::string> patterns() const;

  // The pre-tokenizer of a GGUF tokenizer.ggml.pre name ("gpt-2", "llama-bpe", "qwen2", ...);
  // throws InputError listing the supported names for an unknown one.
  static PreTokenizer for_gguf_pre(const std::string& name, const std::string& file);
  static std::vector<std::string> gguf_pre_names();

 private:
  std::vector<std::shared_ptr<const text::Regex>> steps_;
};

// The patterns themselves (facts of the respective tokenizers).
namespace patterns {
extern const char* const kGpt2;
extern const char* const kLlama3;  // also cl100k_base, GLM-4 (chatglm-bpe)
extern const char* const kQwen2;
}  // namespace patterns

}  // namespace lw::tok
