#pragma once
// The packing pipeline behind `longwriter pack`:
//   1. hash the inputs (SHA-256, recorded in the manifest);
//   2. stream the JSONL inputs in batches; worker threads parse, render (chat format) and tokenize
//      each batch; results go in input order to an on-disk spool (bounded memory);
//   3. plan rows from the sequence lengths (nextfit or bfd);
//   4. write rows to the native pack and, optionally, the four reference files.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "data/conversation.hpp"
#include "io/pack_format.hpp"
#include "data/planner.hpp"
#include "data/row_builder.hpp"
#include "tokenizer/chat_format.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lw::data {

struct PackOptions {
  std::vector<std::filesystem::path> inputs;
  std::filesystem::path out;
  int64_t max_len = 32768;
  Strategy strategy = Strategy::bfd;
  Weighting weighting = Weighting::longalign;
  Overflow overflow = Overflow::skip;
  uint64_t seed = 0;
  int threads = 2;
  bool write_reference = true;   // inputs/labels/weights_pack.npy + attention_masks_pack.json
  int64_t rows_per_shard = 0;    // 0: ~64 MiB shards
  int64_t batch_records = 512;   // records tokenized per parallel batch
  bool progress = true;
};

// Packs the inputs; returns the manifest written to opts.out/manifest.json. The tokenizer's
// encode() is called from several threads at once (it is const and must be thread-safe).
// InputError names file:line for malformed records.
PackManifest pack_files(const PackOptions& opts, const tok::Tokenizer& tokenizer, const tok::ChatFormat& format);

}  // namespace lw::data
