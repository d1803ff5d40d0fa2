// SentencePiece .model files through libsentencepiece. Control pieces (<s>, </s>, ...) are cut out
// of the text by us when allowed (libsentencepiece never matches them in text); each fragment in
// between is encoded by the library, which adds its dummy prefix to every fragment.
// Built with LW_NO_SENTENCEPIECE (the engine subset, CMake option LW_ENGINE_SUBSET), the loaders
// report .model files as unsupported instead.
#ifndef LW_NO_SENTENCEPIECE
#include <sentencepiece_processor.h>
#endif

#include <algorithm>

#include "io/file.hpp"
#include "tokenizer/loaders.hpp"
#include "tokenizer/vocab.hpp"
#include "util/error.hpp"

namespace lw::tok {

#ifndef LW_NO_SENTENCEPIECE
namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(std::string_view proto, std::string name) : name_(std::move(name)) {
    auto st = sp_.LoadFromSerializedProto(proto);
    if (!st.ok()) fail_input("{}: not a SentencePiece model: {}", name_, st.ToString());
    Fingerprint fp;
    fp.add("spm-model");
    fp.add(proto);
    fingerprint_ = fp.hex();
    const int n = sp_.GetPieceSize();
    for (int id = 0; id < n; ++id) {
      if (sp_.IsControl(id)) specials_.add(sp_.IdToPiece(id), id, true);
    }
    // Whether the normalizer adds a dummy "▁" prefix: encode "a" and look at the first piece.
    std::vector<std::string> pieces;
    (void)sp_.Encode("a", &pieces);
    dummy_prefix_ = !pieces.empty() && pieces[0].rfind(kSpace, 0) == 0;
  }

  std::vector<TokenId> encode(std::string_view text, bool allow_special) const override {
    std::vector<TokenId> out;
    size_t pos = 0;
    while (pos < text.size()) {
      SpecialMatcher::Match m = specials_.find(text, pos, allow_special);
      size_t end = m.len ? m.start : text.size();
      if (end > pos) {
        std::vector<int> ids;
        auto st = sp_.Encode(text.substr(pos, end - pos), &ids);
        if (!st.ok()) fail("{}: sentencepiece encode failed: {}", name_, st.ToString());
        out.insert(out.end(), ids.begin(), ids.end());
      }
      if (!m.len) break;
      out.push_back(m.id);
      pos = m.start + m.len;
    }
    return out;
  }

  std::string decode(std::span<const TokenId> ids) const override {
    std::string out;
    TokenId prev = -1;
    for (TokenId id : ids) {
      out += decode_piece(id, prev);
      prev = id;
    }
    return out;
  }

  std::string token_bytes(TokenId id) const override {
    check_id(id);
    if (sp_.IsByte(id)) {
      std::string p = sp_.IdToPiece(id);  // <0xAB>
      return std::string(1, static_cast<char>(std::stoi(p.substr(3, 2), nullptr, 16)));
    }
    std::string p = sp_.IdToPiece(id);
    if (sp_.IsControl(id) || sp_.IsUnknown(id)) return p;
    std::string out;
    for (size_t i = 0; i < p.size();) {
      if (std::string_view(p).substr(i, 3) == kSpace) {
        out.push_back(' ');
        i += 3;
      } else {
        out.push_back(p[i++]);
      }
    }
    return out;
  }

  std::string decode_piece(TokenId id, TokenId prev) const override {
    std::string s = token_bytes(id);
    bool at_start = prev < 0 || (prev < vocab_size() && sp_.IsControl(prev));
    if (dummy_prefix_ && at_start && !sp_.IsControl(id) && !sp_.IsByte(id) && !s.empty() && s[0] == ' ') {
      s.erase(0, 1);
    }
    return s;
  }

  std::optional<TokenId> token_to_id(std::string_view token) const override {
    int id = sp_.PieceToId(token);
    if (id == sp_.unk_id() && sp_.IdToPiece(id) != token) return std::nullopt;
    return id;
  }
  std::string id_to_token(TokenId id) const override {
    check_id(id);
    return sp_.IdToPiece(id);
  }
  int32_t vocab_size() const override { return sp_.GetPieceSize(); }
  bool is_special(TokenId id) const override { return id >= 0 && id < vocab_size() && sp_.IsControl(id); }
  TokenId bos_id() const override { return sp_.bos_id(); }
  TokenId eos_id() const override { return sp_.eos_id(); }
  TokenId pad_id() const override { return sp_.pad_id(); }
  std::vector<TokenId> stop_ids() const override {
    std::vector<TokenId> out;
    if (eos_id() >= 0) out.push_back(eos_id());
    for (const auto& n : known_stop_token_names()) {
      auto id = token_to_id(n);
      if (id && is_special(*id)) out.push_back(*id);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  std::string fingerprint() const override { return fingerprint_; }
  std::string kind() const override { return "spm"; }

 private:
  void check_id(TokenId id) const {
    if (id < 0 || id >= vocab_size()) {
      fail_input("token id {} is out of range (vocabulary of {} from {})", id, vocab_size(), name_);
    }
  }

  sentencepiece::SentencePieceProcessor sp_;
  std::string name_;
  std::string fingerprint_;
  SpecialMatcher specials_;
  bool dummy_prefix_ = true;
};

}  // namespace

std::unique_ptr<Tokenizer> load_sentencepiece_bytes(std::string_view proto, const std::string& name) {
  return std::make_unique<SentencePieceTokenizer>(proto, name);
}

#else
std::unique_ptr<Tokenizer> load_sentencepiece_bytes(std::string_view, const std::string& name) {
  fail_input(
      "{}: SentencePiece .model files are not supported by this build (configured with LW_ENGINE_SUBSET, "
      "without libsentencepiece)",
      name);
}
#endif

std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& path) {
  return load_sentencepiece_bytes(io::read_file(path), path.string());
}

}  // namespace lw::tok
