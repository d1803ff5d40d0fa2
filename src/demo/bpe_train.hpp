#pragma once
// A small byte-level BPE trainer for the demo's tokenizer. It learns merges on a corpus that was
// split by a pre-tokenizer regex, and writes an HF tokenizer.json (model BPE, Split + ByteLevel
// pre-tokenizers, added special tokens) that lw::tok::load_tokenizer reads. Meant for small
// corpora (unique pieces in the thousands): each merge recounts pairs over the unique pieces.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::demo {

struct BpeTrainOptions {
  int32_t vocab_size = 2048;  // bytes (256) + merges + specials
  int64_t min_pair_count = 2;
  std::vector<std::string> specials;  // appended after the merged vocabulary
  // The pre-tokenizer pattern (GPT-2 style: words keep their leading space; digit runs stay whole so
  // frequent numbers such as a target length become single tokens).
  std::string pattern =
      R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
};

struct BpeModel {
  std::vector<std::string> tokens;                          // id -> raw bytes
  std::vector<std::pair<int32_t, int32_t>> merges;          // in rank order
  std::vector<std::string> specials;                        // ids follow the ordinary tokens
  std::string pattern;
};

// Learns a vocabulary from texts. Deterministic: ties are broken by the pair's bytes.
BpeModel train_bpe(const std::vector<std::string>& texts, const BpeTrainOptions& opts);

// The HF tokenizer.json for the model (byte-level: GPT-2 byte-to-unicode mapping).
nlohmann::json to_hf_tokenizer_json(const BpeModel& model);

}  // namespace lw::demo
