#pragma once
// The inputs of the end-to-end training tests (test_train_cli.cpp, test_durability.cpp): a
// byte-level BPE tokenizer with the chatml specials, a ~0.1M-parameter llama config.json (random
// init), six chat examples, and the `pack` command that packs them (chatml, 128 tokens a row).
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "io/file.hpp"
#include "tokenizer/byte_level.hpp"

namespace lw::testing::tiny_run {

namespace fs = std::filesystem;
using nlohmann::json;

// Byte-level vocabulary without merges: id b is byte b; then the chatml specials.
inline constexpr int kEndOfText = 256, kImStart = 257, kImEnd = 258, kVocab = 259;

inline const std::vector<std::pair<std::string, std::string>> kExamples = {
    {"apple", "red fruit, crisp and sweet."}, {"river", "water running to the sea!"},
    {"piano", "black and white keys, 88."},   {"cloud", "grey vapour drifting high"},
    {"tiger", "striped cat of the jungle."},  {"lemon", "sour yellow citrus, zesty"},
};

inline std::string q(const fs::path& p) {
  return fmt::format("'{}'", p.string());
}

inline json tokenizer_json() {
  json vocab = json::object();
  for (int b = 0; b < 256; b++) vocab[lw::tok::byte_level_encode(std::string(1, char(b)))] = b;
  json added = json::array();
  const char* names[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  for (int i = 0; i < 3; i++)
    added.push_back({{"id", 256 + i},
                     {"content", names[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  return {{"version", "1.0"},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer",
           {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
          {"post_processor", nullptr},
          {"decoder",
           {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"vocab", vocab},
            {"merges", json::array()}}}};
}

inline json model_config() {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"vocab_size", kVocab},
          {"hidden_size", 64},
          {"num_hidden_layers", 2},
          {"num_attention_heads", 4},
          {"num_key_value_heads", 2},
          {"intermediate_size", 128},
          {"max_position_embeddings", 256},
          {"rms_norm_eps", 1e-5},
          {"rope_theta", 10000.0},
          {"tie_word_embeddings", false},
          {"bos_token_id", kEndOfText},
          {"eos_token_id", kImEnd}};
}

// Writes DIR/tok/tokenizer.json, DIR/init/{config.json, tokenizer.json} (the tokenizer files sit
// next to config.json, so a trained model directory gets them) and DIR/chats.jsonl.
inline void write_inputs(const fs::path& dir) {
  fs::create_directories(dir / "tok");
  fs::create_directories(dir / "init");
  lw::io::write_file_atomic(dir / "tok" / "tokenizer.json", tokenizer_json().dump());
  lw::io::write_file_atomic(dir / "init" / "tokenizer.json", tokenizer_json().dump());
  lw::io::write_file_atomic(dir / "init" / "config.json", model_config().dump(2));
  std::string chats;
  for (const auto& [u, a] : kExamples)
    chats += json{{"messages", {{{"role", "user"}, {"content", u}}, {{"role", "assistant"}, {"content", a}}}}}
                 .dump() +
             "\n";
  lw::io::write_file_atomic(dir / "chats.jsonl", chats);
}

// The arguments of `longwriter pack` for DIR's chats into out (extra: more flags).
inline std::string pack_args(const fs::path& dir, const fs::path& out,
                             const std::string& extra = "--no-reference") {
  return fmt::format("pack --in {} --tokenizer {} --format chatml --max-len 128 --out {} {} --threads 1",
                     q(dir / "chats.jsonl"), q(dir / "tok"), q(out), extra);
}

}  // namespace lw::testing::tiny_run
