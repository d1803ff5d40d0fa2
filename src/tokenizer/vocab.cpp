#include "tokenizer/vocab.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace lw::tok {

TokenAttr token_attr_from_int(int64_t v) {
  if (v >= 1 && v <= 6) return static_cast<TokenAttr>(v);
  return TokenAttr::normal;  // 0 ("undefined") and unknown values behave as normal tokens
}

int32_t SpecialMatcher::child(int32_t node, uint8_t b) const {
  for (const auto& [c, k] : nodes_[static_cast<size_t>(node)].kids) {
    if (c == b) return k;
  }
  return -1;
}

void SpecialMatcher::add(std::string_view text, TokenId id, bool control) {
  if (text.empty()) return;
  int32_t node = 0;
  for (char ch : text) {
    auto b = static_cast<uint8_t>(ch);
    int32_t k = child(node, b);
    if (k < 0) {
      k = static_cast<int32_t>(nodes_.size());
      nodes_[static_cast<size_t>(node)].kids.emplace_back(b, k);
      nodes_.emplace_back();
    }
    node = k;
  }
  first_[static_cast<uint8_t>(text[0])] = true;
  Node& n = nodes_[static_cast<size_t>(node)];
  if (n.id < 0 || (n.control && !control)) {  // a user-defined entry wins over a control duplicate
    n.id = id;
    n.control = control;
  }
}

SpecialMatcher::Match SpecialMatcher::find(std::string_view text, size_t from, bool allow_control) const {
  if (empty()) return {};
  for (size_t i = from; i < text.size(); ++i) {
    if (!first_[static_cast<uint8_t>(text[i])]) continue;
    int32_t node = 0;
    Match best;
    for (size_t j = i; j < text.size(); ++j) {
      node = child(node, static_cast<uint8_t>(text[j]));
      if (node < 0) break;
      const Node& n = nodes_[static_cast<size_t>(node)];
      if (n.id >= 0 && (allow_control || !n.control)) best = {i, j - i + 1, n.id};
    }
    if (best.len > 0) return best;
  }
  return {};
}

void Fingerprint::add(std::string_view s) {
  add_int(static_cast<int64_t>(s.size()));
  for (unsigned char c : s) {
    a_ = (a_ ^ c) * 0x100000001b3ull;
    b_ = (b_ ^ c ^ (a_ >> 29)) * 0x100000001b3ull;
  }
}

void Fingerprint::add_int(int64_t v) {
  for (int k = 0; k < 8; ++k) {
    auto c = static_cast<unsigned char>(static_cast<uint64_t>(v) >> (8 * k));
    a_ = (a_ ^ c) * 0x100000001b3ull;
    b_ = (b_ ^ c ^ (a_ >> 29)) * 0x100000001b3ull;
  }
}

std::string Fingerprint::hex() const { return fmt::format("{:016x}{:016x}", a_, b_); }

const std::vector<std::string>& known_stop_token_names() {
  static const std::vector<std::string> names = {
      "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>",
      "<|user|>",   "<|observation|>", "</s>",       "<|end|>",       "<eos>", "<end_of_turn>"};
  return names;
}

std::vector<TokenId> collect_stop_ids(const Tokenizer& tok, TokenId eos, const std::vector<TokenId>& extra_stops) {
  std::vector<TokenId> out;
  if (eos >= 0) out.push_back(eos);
  for (TokenId id : extra_stops) out.push_back(id);
  for (const auto& name : known_stop_token_names()) {
    auto id = tok.token_to_id(name);
    if (id && tok.is_special(*id)) out.push_back(*id);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace lw::tok
