#pragma once
// A tiny byte-level Tokenizer for data/ tests: ids 0..255 are bytes, then the named special tokens.
// With allow_special, special-token text in the input is matched (longest first).
#include <algorithm>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace lw::testing {

class FakeTokenizer : public tok::Tokenizer {
 public:
  explicit FakeTokenizer(std::vector<std::string> specials, std::string bos = "", std::string eos = "",
                         std::string pad = "")
      : specials_(std::move(specials)) {
    bos_ = bos.empty() ? -1 : *token_to_id(bos);
    eos_ = eos.empty() ? -1 : *token_to_id(eos);
    pad_ = pad.empty() ? -1 : *token_to_id(pad);
  }
  static FakeTokenizer llama3() {
    return FakeTokenizer({"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                          "<|eot_id|>"},
                         "<|begin_of_text|>", "<|end_of_text|>");
  }
  static FakeTokenizer glm4() {
    return FakeTokenizer({"[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>",
                          "<|endoftext|>"},
                         "", "<|endoftext|>");
  }
  static FakeTokenizer chatml() {
    return FakeTokenizer({"<|endoftext|>", "<|im_start|>", "<|im_end|>"}, "", "<|endoftext|>", "<|endoftext|>");
  }

  std::vector<tok::TokenId> encode(std::string_view text, bool allow_special) const override {
    std::vector<tok::TokenId> out;
    for (size_t i = 0; i < text.size();) {
      bool matched = false;
      if (allow_special) {
        for (size_t k = 0; k < specials_.size(); ++k) {
          if (text.substr(i, specials_[k].size()) == specials_[k]) {
            out.push_back(static_cast<tok::TokenId>(256 + k));
            i += specials_[k].size();
            matched = true;
            break;
          }
        }
      }
      if (!matched) out.push_back(static_cast<unsigned char>(text[i++]));
    }
    return out;
  }
  std::string decode(std::span<const tok::TokenId> ids) const override {
    std::string s;
    for (auto id : ids) s += token_bytes(id);
    return s;
  }
  std::string token_bytes(tok::TokenId id) const override {
    if (id < 256) return std::string(1, static_cast<char>(id));
    return specials_.at(static_cast<size_t>(id - 256));
  }
  std::optional<tok::TokenId> token_to_id(std::string_view t) const override {
    for (size_t k = 0; k < specials_.size(); ++k)
      if (specials_[k] == t) return static_cast<tok::TokenId>(256 + k);
    if (t.size() == 1) return static_cast<unsigned char>(t[0]);
    return std::nullopt;
  }
  std::string id_to_token(tok::TokenId id) const override { return token_bytes(id); }
  int32_t vocab_size() const override { return static_cast<int32_t>(256 + specials_.size()); }
  bool is_special(tok::TokenId id) const override { return id >= 256; }
  tok::TokenId bos_id() const override { return bos_; }
  tok::TokenId eos_id() const override { return eos_; }
  tok::TokenId pad_id() const override { return pad_; }
  std::vector<tok::TokenId> stop_ids() const override {
    return eos_ >= 0 ? std::vector<tok::TokenId>{eos_} : std::vector<tok::TokenId>{};
  }
  std::string fingerprint() const override { return "fake-" + std::to_string(specials_.size()); }
  std::string kind() const override { return "bpe"; }

 private:
  std::vector<std::string> specials_;
  tok::TokenId bos_ = -1, eos_ = -1, pad_ = -1;
};

}  // namespace lw::testing
