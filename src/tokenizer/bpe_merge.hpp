#pragma once
// Rank-based BPE merging of one pre-tokenized piece. Two rank sources:
//  - by bytes (tiktoken): the rank of merging two adjacent parts is the rank (= id) of their
//    concatenated bytes, if that byte string is a token;
//  - by merge list (HF / GGUF): the rank of the pair (left id, right id) in the merges list.
// In both, the lowest rank merges first, the leftmost on ties. merge_piece() uses a linked list of
// symbols and a binary heap (O(n log n) on long pieces); merge_piece_naive() rescans all pairs
// after each merge (O(n^2)) and is the reference the fast one is tested against.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace lw::tok {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using BytesToId = std::unordered_map<std::string, TokenId, StringHash, std::equal_to<>>;

struct BpeRanks {
  BytesToId bytes_to_id;               // ordinary tokens: raw bytes -> id
  std::array<TokenId, 256> byte_id{};  // the single-byte token of each byte (-1 if none)
  bool by_bytes = false;               // tiktoken ranks
  std::unordered_map<uint64_t, std::pair<int32_t, TokenId>> merges;  // (l<<32|r) -> (rank, merged)
  TokenId unk = -1;

  struct Pair {
    int32_t rank = -1;
    TokenId id = -1;
  };
  Pair pair(std::string_view piece, size_t l_start, TokenId l_id, size_t r_start, size_t r_len,
            TokenId r_id) const;

  // Appends the ids of one piece.
  void merge_piece(std::string_view piece, std::vector<TokenId>& out) const;
  void merge_piece_naive(std::string_view piece, std::vector<TokenId>& out) const;
};

}  // namespace lw::tok
