#include "tokenizer/bpe_tokenizer.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace lw::tok {

BpeTokenizer::BpeTokenizer(BpeConfig cfg) : VocabTokenizer(std::move(cfg)) {
  ranks_.byte_id.fill(-1);
  ranks_.by_bytes = cfg_.rank_by_bytes;
  ranks_.unk = cfg_.unk;
  Fingerprint fp;
  fp.add("bpe");
  const auto n = static_cast<TokenId>(cfg_.vocab.size());
  for (TokenId id = 0; id < n; ++id) {
    const auto& e = cfg_.vocab[static_cast<size_t>(id)];
    fp.add(e.text);
    fp.add_int(static_cast<int>(e.attr));
    if (e.attr == TokenAttr::control || e.attr == TokenAttr::user_defined) {
      specials_.add(e.bytes, id, e.attr == TokenAttr::control);
    } else if (e.attr == TokenAttr::normal || e.attr == TokenAttr::byte) {
      if (e.bytes.empty()) continue;
      ranks_.bytes_to_id.emplace(e.bytes, id);
      if (e.bytes.size() == 1) {
        auto b = static_cast<uint8_t>(e.bytes[0]);
        if (ranks_.byte_id[b] < 0) ranks_.byte_id[b] = id;
      }
    }
  }
  for (size_t r = 0; r < cfg_.merges.size(); ++r) {
    auto [l, rr] = cfg_.merges[r];
    if (l < 0 || rr < 0 || l >= n || rr >= n) continue;
    auto it = ranks_.bytes_to_id.find(cfg_.vocab[static_cast<size_t>(l)].bytes +
                                      cfg_.vocab[static_cast<size_t>(rr)].bytes);
    if (it == ranks_.bytes_to_id.end()) continue;
    uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(rr);
    ranks_.merges.emplace(key, std::make_pair(static_cast<int32_t>(r), it->second));
    fp.add_int(l);
    fp.add_int(rr);
  }
  for (const auto& p : cfg_.pre.patterns()) fp.add(p);
  fp.add_int(cfg_.rank_by_bytes);
  fp.add_int(cfg_.ignore_merges);
  fp.add_int(cfg_.add_prefix_space);
  fp.add_int(cfg_.bos);
  fp.add_int(cfg_.eos);
  fp.add_int(cfg_.pad);
  fingerprint_ = fp.hex();
}

void BpeTokenizer::encode_ordinary(std::string_view text, std::vector<TokenId>& out) const {
  if (text.empty()) return;
  std::string prefixed;
  if (cfg_.add_prefix_space && text[0] != ' ') {
    prefixed = " ";
    prefixed += text;
    text = prefixed;
  }
  thread_local std::vector<Piece> pieces;
  cfg_.pre.split(text, pieces);
  const bool whole_first = cfg_.ignore_merges || cfg_.rank_by_bytes;
  for (const auto& [b, e] : pieces) {
    std::string_view piece = text.substr(b, e - b);
    if (whole_first) {
      auto it = ranks_.bytes_to_id.find(piece);
      if (it != ranks_.bytes_to_id.end()) {
        out.push_back(it->second);
        continue;
      }
    }
    ranks_.merge_piece(piece, out);
  }
}

std::vector<TokenId> BpeTokenizer::encode_naive(std::string_view text) const {
  std::vector<TokenId> out;
  std::vector<Piece> pieces;
  cfg_.pre.split(text, pieces);
  for (const auto& [b, e] : pieces) {
    std::string_view piece = text.substr(b, e - b);
    if (cfg_.ignore_merges || cfg_.rank_by_bytes) {
      auto it = ranks_.bytes_to_id.find(piece);
      if (it != ranks_.bytes_to_id.end()) {
        out.push_back(it->second);
        continue;
      }
    }
    ranks_.merge_piece_naive(piece, out);
  }
  return out;
}

std::vector<TokenId> BpeTokenizer::encode(std::string_view text, bool allow_special) const {
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 1);
  size_t pos = 0;
  while (pos < text.size()) {
    SpecialMatcher::Match m = specials_.find(text, pos, allow_special);
    if (m.len == 0) {
      encode_ordinary(text.substr(pos), out);
      break;
    }
    encode_ordinary(text.substr(pos, m.start - pos), out);
    out.push_back(m.id);
    pos = m.start + m.len;
  }
  return out;
}

std::string BpeTokenizer::decode(std::span<const TokenId> ids) const {
  std::string out;
  for (TokenId id : ids) out += token_bytes(id);
  return out;
}

std::string BpeTokenizer::token_bytes(TokenId id) const {
  const auto& e = entry(id);
  return e.attr == TokenAttr::unused ? std::string() : e.bytes;
}

}  // namespace lw::tok
