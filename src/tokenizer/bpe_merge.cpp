#include "tokenizer/bpe_merge.hpp"

#include <algorithm>
#include <queue>

namespace lw::tok {

BpeRanks::Pair BpeRanks::pair(std::string_view piece, size_t l_start, TokenId l_id, size_t r_start,
                              size_t r_len, TokenId r_id) const {
  if (by_bytes) {
    auto it = bytes_to_id.find(piece.substr(l_start, r_start + r_len - l_start));
    if (it == bytes_to_id.end()) return {};
    return {it->second, it->second};
  }
  if (l_id < 0 || r_id < 0) return {};
  auto it = merges.find((static_cast<uint64_t>(static_cast<uint32_t>(l_id)) << 32) |
                        static_cast<uint32_t>(r_id));
  if (it == merges.end()) return {};
  return {it->second.first, it->second.second};
}

namespace {

struct Sym {
  uint32_t start, len;
  int32_t prev, next;
  TokenId id;
};

void emit(const BpeRanks& r, std::string_view piece, const Sym& s, std::vector<TokenId>& out) {
  if (s.id >= 0) {
    out.push_back(s.id);
  } else if (r.unk >= 0) {
    out.push_back(r.unk);
  }
  (void)piece;
}

}  // namespace

void BpeRanks::merge_piece_naive(std::string_view piece, std::vector<TokenId>& out) const {
  thread_local std::vector<Sym> syms;
  syms.clear();
  for (size_t i = 0; i < piece.size(); ++i) {
    syms.push_back({static_cast<uint32_t>(i), 1, 0, 0, byte_id[static_cast<uint8_t>(piece[i])]});
  }
  while (syms.size() > 1) {
    Pair best;
    size_t bi = 0;
    for (size_t i = 0; i + 1 < syms.size(); ++i) {
      Pair p = pair(piece, syms[i].start, syms[i].id, syms[i + 1].start, syms[i + 1].len, syms[i + 1].id);
      if (p.rank >= 0 && (best.rank < 0 || p.rank < best.rank)) {
        best = p;
        bi = i;
      }
    }
    if (best.rank < 0) break;
    syms[bi].len += syms[bi + 1].len;
    syms[bi].id = best.id;
    syms.erase(syms.begin() + static_cast<std::ptrdiff_t>(bi) + 1);
  }
  for (const auto& s : syms) emit(*this, piece, s, out);
}

void BpeRanks::merge_piece(std::string_view piece, std::vector<TokenId>& out) const {
  if (piece.empty()) return;
  if (piece.size() == 1) {
    Sym s{0, 1, -1, -1, byte_id[static_cast<uint8_t>(piece[0])]};
    emit(*this, piece, s, out);
    return;
  }
  if (piece.size() <= 8) {  // short pieces: rescanning is cheaper than a heap
    merge_piece_naive(piece, out);
    return;
  }
  const auto n = static_cast<int32_t>(piece.size());
  std::vector<Sym> syms(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    syms[static_cast<size_t>(i)] = {static_cast<uint32_t>(i), 1, i - 1, i + 1 < n ? i + 1 : -1,
                                    byte_id[static_cast<uint8_t>(piece[static_cast<size_t>(i)])]};
  }
  struct Cand {
    int32_t rank;
    int32_t left, right;
    uint32_t size;
    TokenId id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto try_add = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const Sym& a = syms[static_cast<size_t>(l)];
    const Sym& b = syms[static_cast<size_t>(r)];
    Pair p = pair(piece, a.start, a.id, b.start, b.len, b.id);
    if (p.rank >= 0) heap.push({p.rank, l, r, a.len + b.len, p.id});
  };
  for (int32_t i = 0; i + 1 < n; ++i) try_add(i, i + 1);
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    Sym& a = syms[static_cast<size_t>(c.left)];
    Sym& b = syms[static_cast<size_t>(c.right)];
    // Stale if either side changed since the candidate was pushed (sizes only grow).
    if (a.len == 0 || b.len == 0 || a.len + b.len != c.size || a.next != c.right) continue;
    a.len += b.len;
    a.id = c.id;
    b.len = 0;
    a.next = b.next;
    if (b.next >= 0) syms[static_cast<size_t>(b.next)].prev = c.left;
    try_add(a.prev, c.left);
    try_add(c.left, a.next);
  }
  for (int32_t i = 0; i >= 0; i = syms[static_cast<size_t>(i)].next) {
    emit(*this, piece, syms[static_cast<size_t>(i)], out);
  }
}

}  // namespace lw::tok
