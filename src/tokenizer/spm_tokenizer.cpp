#include "tokenizer/spm_tokenizer.hpp"

#include <algorithm>
#include <queue>

#include "text/utf8.hpp"
#include "util/error.hpp"

namespace lw::tok {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // ▁

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "<0xAB>" -> 0xAB, or -1.
int byte_piece_value(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  int hi = hex_digit(t[3]), lo = hex_digit(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string unescape(std::string_view piece) {
  std::string out;
  out.reserve(piece.size());
  for (size_t i = 0; i < piece.size();) {
    if (piece.substr(i, 3) == kSpace) {
      out.push_back(' ');
      i += 3;
    } else {
      out.push_back(piece[i++]);
    }
  }
  return out;
}

}  // namespace

SpmTokenizer::SpmTokenizer(SpmConfig cfg) : VocabTokenizer(std::move(cfg)) {
  byte_token_.fill(-1);
  Fingerprint fp;
  fp.add("spm");
  const auto n = static_cast<TokenId>(cfg_.vocab.size());
  for (TokenId id = 0; id < n; ++id) {
    const auto& e = cfg_.vocab[static_cast<size_t>(id)];
    fp.add(e.text);
    fp.add_int(static_cast<int64_t>(e.score * 1e6));
    fp.add_int(static_cast<int>(e.attr));
    if (e.attr == TokenAttr::byte) {
      int b = byte_piece_value(e.text);
      if (b >= 0 && byte_token_[static_cast<size_t>(b)] < 0) byte_token_[static_cast<size_t>(b)] = id;
    } else if (e.attr == TokenAttr::control || e.attr == TokenAttr::user_defined) {
      specials_.add(e.text, id, e.attr == TokenAttr::control);
    }
  }
  fp.add_int(cfg_.add_space_prefix);
  fp.add_int(cfg_.bos);
  fp.add_int(cfg_.eos);
  fingerprint_ = fp.hex();
}

void SpmTokenizer::encode_fragment(std::string_view raw, bool prefix, std::vector<TokenId>& out) const {
  std::string text;
  text.reserve(raw.size() + 3);
  if (prefix) text += kSpace;
  for (char c : raw) {
    if (c == ' ') {
      text += kSpace;
    } else {
      text.push_back(c);
    }
  }
  if (text.empty()) return;
  struct Sym {
    size_t start, len;
    int32_t prev, next;
  };
  std::vector<Sym> syms;
  for (size_t i = 0; i < text.size();) {
    // One symbol per UTF-8 character; each maximal invalid subsequence is a symbol of its own
    // (it falls back to byte tokens, so arbitrary bytes round-trip).
    size_t j = i;
    (void)text::decode_one(text, j);
    size_t len = j - i;
    auto idx = static_cast<int32_t>(syms.size());
    syms.push_back({i, len, idx - 1, -1});
    if (idx > 0) syms[static_cast<size_t>(idx) - 1].next = idx;
    i += len;
  }
  struct Bigram {
    int32_t left, right;
    float score;
    size_t size;
    bool operator<(const Bigram& o) const {
      return score < o.score || (score == o.score && left > o.left);
    }
  };
  std::priority_queue<Bigram> heap;
  std::unordered_map<std::string_view, std::pair<int32_t, int32_t>> rev_merge;
  auto try_add = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const Sym& a = syms[static_cast<size_t>(l)];
    const Sym& b = syms[static_cast<size_t>(r)];
    std::string_view s(text.data() + a.start, a.len + b.len);
    auto it = text_to_id_.find(s);
    if (it == text_to_id_.end()) return;
    heap.push({l, r, cfg_.vocab[static_cast<size_t>(it->second)].score, s.size()});
    rev_merge[s] = {l, r};
  };
  for (size_t i = 1; i < syms.size(); ++i) try_add(static_cast<int32_t>(i) - 1, static_cast<int32_t>(i));
  while (!heap.empty()) {
    Bigram bg = heap.top();
    heap.pop();
    Sym& a = syms[static_cast<size_t>(bg.left)];
    Sym& b = syms[static_cast<size_t>(bg.right)];
    if (a.len == 0 || b.len == 0 || a.len + b.len != bg.size) continue;
    a.len += b.len;
    b.len = 0;
    a.next = b.next;
    if (b.next >= 0) syms[static_cast<size_t>(b.next)].prev = bg.left;
    try_add(a.prev, bg.left);
    try_add(bg.left, a.next);
  }
  // Re-segment each final symbol.
  auto resegment = [&](auto&& self, std::string_view s) -> void {
    auto it = text_to_id_.find(s);
    if (it != text_to_id_.end()) {
      out.push_back(it->second);
      return;
    }
    auto rm = rev_merge.find(s);
    if (rm == rev_merge.end()) {
      for (unsigned char c : s) {
        TokenId t = byte_token_[c];
        if (t >= 0) {
          out.push_back(t);
        } else if (cfg_.unk >= 0) {
          out.push_back(cfg_.unk);
        }
      }
      return;
    }
    const Sym& l = syms[static_cast<size_t>(rm->second.first)];
    const Sym& r = syms[static_cast<size_t>(rm->second.second)];
    // The recorded halves: the left symbol's text at merge time was s minus the right part.
    size_t left_len = static_cast<size_t>(text.data() + r.start - (text.data() + l.start));
    self(self, s.substr(0, left_len));
    self(self, s.substr(left_len));
  };
  for (int32_t i = 0; i >= 0; i = syms[static_cast<size_t>(i)].next) {
    const Sym& s = syms[static_cast<size_t>(i)];
    resegment(resegment, std::string_view(text.data() + s.start, s.len));
  }
}

std::vector<TokenId> SpmTokenizer::encode(std::string_view text, bool allow_special) const {
  std::vector<TokenId> out;
  size_t pos = 0;
  bool prev_special = true;  // the dummy prefix goes at the start and after each special token
  while (pos < text.size()) {
    SpecialMatcher::Match m = specials_.find(text, pos, allow_special);
    size_t end = m.len ? m.start : text.size();
    if (end > pos) {
      encode_fragment(text.substr(pos, end - pos), cfg_.add_space_prefix && prev_special, out);
      prev_special = false;
    }
    if (!m.len) break;
    out.push_back(m.id);
    prev_special = true;
    pos = m.start + m.len;
  }
  return out;
}

std::string SpmTokenizer::token_bytes(TokenId id) const {
  const auto& e = entry(id);
  if (e.attr == TokenAttr::unused) return "";
  if (e.attr == TokenAttr::byte) {
    int b = byte_piece_value(e.text);
    if (b >= 0) return std::string(1, static_cast<char>(b));
  }
  if (e.attr == TokenAttr::control || e.attr == TokenAttr::unknown) return e.text;
  return unescape(e.text);
}

std::string SpmTokenizer::decode_piece(TokenId id, TokenId prev) const {
  std::string s = token_bytes(id);
  bool at_start = prev < 0 || (prev < vocab_size() && cfg_.vocab[static_cast<size_t>(prev)].attr == TokenAttr::control);
  const auto& e = cfg_.vocab[static_cast<size_t>(id)];
  if (cfg_.add_space_prefix && at_start && e.attr == TokenAttr::normal && !s.empty() && s[0] == ' ') {
    s.erase(0, 1);
  }
  return s;
}

std::string SpmTokenizer::decode(std::span<const TokenId> ids) const {
  std::string out;
  TokenId prev = -1;
  for (TokenId id : ids) {
    out += decode_piece(id, prev);
    prev = id;
  }
  return out;
}

}  // namespace lw::tok
