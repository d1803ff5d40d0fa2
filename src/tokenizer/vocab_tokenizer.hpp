#pragma once
// The members every vocabulary-backed tokenizer shares (BPE and SentencePiece): the id range
// check, string <-> id lookups, special flags, BOS/EOS/PAD, stop ids and the fingerprint. Config
// has `source` (file name for messages), `vocab` (entries with .text and .attr, indexed by id),
// bos / eos / pad and extra_stops.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/bpe_merge.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab.hpp"
#include "util/error.hpp"

namespace lw::tok {

template <class Config>
class VocabTokenizer : public Tokenizer {
 public:
  std::optional<TokenId> token_to_id(std::string_view token) const override {
    auto it = text_to_id_.find(token);
    if (it == text_to_id_.end()) return std::nullopt;
    return it->second;
  }
  std::string id_to_token(TokenId id) const override { return entry(id).text; }
  int32_t vocab_size() const override { return static_cast<int32_t>(cfg_.vocab.size()); }
  bool is_special(TokenId id) const override {
    return id >= 0 && id < vocab_size() && cfg_.vocab[static_cast<size_t>(id)].attr == TokenAttr::control;
  }
  TokenId bos_id() const override { return cfg_.bos; }
  TokenId eos_id() const override { return cfg_.eos; }
  TokenId pad_id() const override { return cfg_.pad; }
  std::vector<TokenId> stop_ids() const override { return collect_stop_ids(*this, cfg_.eos, cfg_.extra_stops); }
  std::string fingerprint() const override { return fingerprint_; }

 protected:
  // Indexes every non-empty token text (the first id wins on duplicates).
  explicit VocabTokenizer(Config cfg) : cfg_(std::move(cfg)) {
    for (size_t id = 0; id < cfg_.vocab.size(); ++id)
      if (!cfg_.vocab[id].text.empty()) text_to_id_.emplace(cfg_.vocab[id].text, static_cast<TokenId>(id));
  }
  // The entry of id; an id outside the vocabulary is an input error naming the vocabulary's file.
  const auto& entry(TokenId id) const {
    if (id < 0 || id >= vocab_size())
      fail_input("token id {} is out of range (vocabulary of {} from {})", id, vocab_size(), cfg_.source);
    return cfg_.vocab[static_cast<size_t>(id)];
  }

  Config cfg_;
  BytesToId text_to_id_;
  SpecialMatcher specials_;
  std::string fingerprint_;
};

}  // namespace lw::tok
