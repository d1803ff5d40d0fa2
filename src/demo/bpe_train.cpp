#include "demo/bpe_train.hpp"

#include <map>
#include <memory>
#include <unordered_map>

#include "text/regex.hpp"
#include "tokenizer/byte_level.hpp"
#include "util/error.hpp"

namespace lw::demo {
namespace {

// Splits text into pre-tokenizer pieces (empty matches skipped).
std::vector<std::string> split_pieces(const std::string& text, const text::Regex& re) {
  std::vector<std::string> out;
  size_t start = 0, b = 0, e = 0;
  while (start < text.size() && re.find(text, start, b, e)) {
    if (e == b) {  // empty match: step one byte to guarantee progress
      start = b + 1;
      continue;
    }
    out.emplace_back(text.substr(b, e - b));
    start = e;
  }
  return out;
}

}  // namespace

BpeModel train_bpe(const std::vector<std::string>& texts, const BpeTrainOptions& opts) {
  const text::Regex re(opts.pattern, text::RegexOptions{false, "bpe: pre-tokenizer pattern"});

  std::map<std::string, int64_t> piece_counts;  // ordered: deterministic
  for (const auto& t : texts)
    for (auto& p : split_pieces(t, re)) ++piece_counts[p];

  BpeModel m;
  m.pattern = opts.pattern;
  m.specials = opts.specials;
  for (int b = 0; b < 256; ++b) m.tokens.emplace_back(1, static_cast<char>(b));

  struct Word {
    std::vector<int32_t> syms;
    int64_t count;
  };
  std::vector<Word> words;
  for (auto& [p, c] : piece_counts) {
    Word w{{}, c};
    for (unsigned char ch : p) w.syms.push_back(ch);
    words.push_back(std::move(w));
  }

  const int32_t target = opts.vocab_size - static_cast<int32_t>(opts.specials.size());
  while (static_cast<int32_t>(m.tokens.size()) < target) {
    std::map<std::pair<int32_t, int32_t>, int64_t> pairs;
    for (const auto& w : words)
      for (size_t i = 0; i + 1 < w.syms.size(); ++i) pairs[{w.syms[i], w.syms[i + 1]}] += w.count;
    std::pair<int32_t, int32_t> best{-1, -1};
    int64_t best_count = 0;
    std::string best_bytes;
    for (auto& [pr, c] : pairs) {
      std::string bytes = m.tokens[pr.first] + m.tokens[pr.second];
      if (c > best_count || (c == best_count && bytes < best_bytes)) {
        best = pr;
        best_count = c;
        best_bytes = std::move(bytes);
      }
    }
    if (best_count < opts.min_pair_count) break;
    auto id = static_cast<int32_t>(m.tokens.size());
    m.tokens.push_back(best_bytes);
    m.merges.push_back(best);
    for (auto& w : words) {
      std::vector<int32_t> out;
      out.reserve(w.syms.size());
      for (size_t i = 0; i < w.syms.size(); ++i) {
        if (i + 1 < w.syms.size() && w.syms[i] == best.first && w.syms[i + 1] == best.second) {
          out.push_back(id);
          ++i;
        } else {
          out.push_back(w.syms[i]);
        }
      }
      w.syms = std::move(out);
    }
  }
  return m;
}

nlohmann::json to_hf_tokenizer_json(const BpeModel& m) {
  auto enc = [](const std::string& bytes) { return tok::byte_level_encode(bytes); };
  nlohmann::json vocab = nlohmann::json::object();
  for (size_t i = 0; i < m.tokens.size(); ++i) vocab[enc(m.tokens[i])] = i;
  nlohmann::json merges = nlohmann::json::array();
  for (auto [a, b] : m.merges) merges.push_back(enc(m.tokens[a]) + " " + enc(m.tokens[b]));
  nlohmann::json added = nlohmann::json::array();
  for (size_t i = 0; i < m.specials.size(); ++i) {
    added.push_back({{"id", m.tokens.size() + i},
                     {"content", m.specials[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer",
           {{"type", "Sequence"},
            {"pretokenizers",
             {{{"type", "Split"},
               {"pattern", {{"Regex", m.pattern}}},
               {"behavior", "Isolated"},
               {"invert", false}},
              {{"type", "ByteLevel"},
               {"add_prefix_space", false},
               {"trim_offsets", true},
               {"use_regex", false}}}}}},
          {"post_processor", nullptr},
          {"decoder",
           {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", false},
            {"vocab", vocab},
            {"merges", merges}}}};
}

}  // namespace lw::demo
