#pragma once
// Tokenizer metadata between HF files and GGUF's tokenizer.ggml.* keys, for `convert`.
#include <filesystem>
#include <string>

#include "engine/config.hpp"
#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"

namespace lw::convert {

// From DIR/tokenizer.json (byte-level BPE -> model "gpt2") or DIR/tokenizer.model (SentencePiece
// -> model "llama"), plus tokenizer_config.json's chat_template. The token list is padded to the
// model's vocabulary size with unused "[PAD{id}]" tokens, as llama.cpp does. Returns false (with a
// line in `notes`) when the directory has no tokenizer this can carry over.
bool add_hf_tokenizer_to_gguf(const std::filesystem::path& dir, const engine::ModelConfig& cfg,
                              io::GgufStreamWriter& w, std::string& notes);

// Copies every tokenizer.* key of a GGUF file (GGUF -> GGUF). False when it has none.
bool copy_gguf_tokenizer(const io::GgufFile& f, io::GgufStreamWriter& w, std::string& notes);

// Writes DIR/tokenizer.json (a "gpt2" vocabulary) and DIR/tokenizer_config.json (bos/eos tokens,
// chat_template). Returns false (with a line in `notes`) when the vocabulary cannot be written.
bool write_hf_tokenizer_from_gguf(const io::GgufFile& f, const std::filesystem::path& dir, std::string& notes);

}  // namespace lw::convert
