// longwriter pack --in a.jsonl[,b.jsonl] --tokenizer PATH --out DIR: tokenize chat data and pack it
// into fixed-length rows for training (native shards + the LongWriter reference .npy/.json files).
// Also the group of `pack stats` (apps/pack_stats.cpp). Design: docs/packing.md.
#include <cstdio>
#include <memory>
#include <thread>

#include "common/registry.hpp"
#include "data/packer.hpp"
#include "tokenizer/chat_format.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace {

struct Options {
  std::vector<std::string> inputs;
  std::string tokenizer, format, out, strategy = "bfd", weighting = "longalign", overflow = "skip";
  int64_t max_len = 32768;
  uint64_t seed = 0;
  int threads = 0;
  int64_t rows_per_shard = 0;
  bool no_reference = false;
};

int run(Options& o) {
  if (o.inputs.empty() || o.tokenizer.empty() || o.out.empty())
    lw::fail_input("pack needs --in FILE[,FILE], --tokenizer PATH and --out DIR (or the subcommand: stats)");
  lw::data::PackOptions p;
  for (const auto& s : o.inputs) p.inputs.emplace_back(s);
  p.out = o.out;
  p.max_len = o.max_len;
  p.strategy = lw::data::parse_strategy(o.strategy);
  p.weighting = lw::data::parse_pack_weighting(o.weighting);
  p.overflow = lw::data::parse_overflow(o.overflow);
  p.seed = o.seed;
  p.threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  p.write_reference = !o.no_reference;
  p.rows_per_shard = o.rows_per_shard;
  p.progress = lw::progress_enabled();

  auto tok = lw::tok::load_tokenizer(o.tokenizer);
  lw::tok::ChatFormatId fid;
  if (o.format.empty() || o.format == "auto") {
    auto d = lw::tok::detect_chat_format(o.tokenizer, tok.get());
    lw::log::info("pack: chat format {} ({})", lw::tok::chat_format_name(d.id), d.reason);
    fid = d.id;
  } else {
    fid = lw::tok::parse_chat_format(o.format);
  }
  lw::tok::ChatFormat format(fid, *tok);
  lw::data::PackManifest m = lw::data::pack_files(p, *tok, format);

  int64_t skipped = 0;
  for (const auto& [k, v] : m.skipped) skipped += v;
  std::printf("packed %lld conversations into %lld rows of %lld tokens (%s, %s weighting): %lld sequences, "
              "%.2f%% real tokens, %lld labelled\n",
              static_cast<long long>(m.conversations), static_cast<long long>(m.rows),
              static_cast<long long>(m.max_len), m.strategy.c_str(), m.weighting.c_str(),
              static_cast<long long>(m.sequences), 100.0 * m.efficiency(), static_cast<long long>(m.labelled_tokens));
  if (skipped) {
    std::printf("skipped %lld:", static_cast<long long>(skipped));
    for (const auto& [k, v] : m.skipped) std::printf(" %s %lld", k.c_str(), static_cast<long long>(v));
    std::printf("\n");
  }
  if (m.truncated) std::printf("truncated %lld\n", static_cast<long long>(m.truncated));
  std::printf("wrote %s\n", o.out.c_str());
  return 0;
}

const bool registered = lw::apps::register_command("pack", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "pack",
      "Tokenize chat data ({\"messages\":[{\"role\",\"content\"},...]} JSONL) in a model's chat format and\n"
      "pack it into rows of exactly --max-len tokens for training. Only assistant turns and the token\n"
      "ending each one (EOS) are labelled; U+200B/U+200C/U+200D/U+FEFF are removed from assistant text.\n"
      "Writes to DIR: manifest.json + shard-*.bin (the native, memory-mappable format the trainer\n"
      "reads) and the LongWriter reference files inputs_pack.npy, labels_pack.npy (-100 off labels),\n"
      "weights_pack.npy and attention_masks_pack.json (per-row cu_seqlens boundaries).\n"
      "Memory stays bounded: tokenized sequences are spooled to DIR while reading.\n\n"
      "Examples:\n"
      "  longwriter pack --in sft.jsonl,general.jsonl --tokenizer models/LongWriter-llama3.1-8b --out packs/\n"
      "  longwriter pack --in sft.jsonl --tokenizer glm4/ --format glm4 --strategy nextfit --out packs-ref/\n"
      "  longwriter pack stats packs/");
  cmd->add_option("--in", o->inputs, "Input JSONL files (comma-separated or repeated)")->delimiter(',');
  cmd->add_option("--tokenizer", o->tokenizer,
                  "Tokenizer: a model directory (tokenizer.json / tokenizer.model / *.tiktoken inside), a\n"
                  "tokenizer.json, a .tiktoken, a SentencePiece .model or a .gguf file");
  cmd->add_option("--format", o->format,
                  "Chat format: llama3-longwriter, llama3, glm4, chatml, or auto (default: detected from the\n"
                  "tokenizer's directory: config.json architecture, tokenizer_config.json chat_template,\n"
                  "special tokens)");
  cmd->add_option("--out", o->out, "Output directory (an existing pack there is replaced)");
  cmd->add_option("--max-len", o->max_len, "Tokens per row (the pack length L)")->capture_default_str();
  cmd->add_option("--strategy", o->strategy,
                  "nextfit: input order, a new row when the next sequence does not fit (the LongWriter\n"
                  "reference, keeping the final partial row); bfd: best-fit decreasing, then rows shuffled\n"
                  "with --seed (fewer rows, less padding)")
      ->capture_default_str();
  cmd->add_option("--weighting", o->weighting,
                  "Loss weights on labelled tokens: longalign = 1/(labelled tokens of the sequence), so each\n"
                  "sequence sums to 1 (reference); token = 1 each; sequence = each row sums to 1")
      ->capture_default_str();
  cmd->add_option("--overflow", o->overflow,
                  "Sequences longer than --max-len: skip (reference), truncate-right (keep the start) or\n"
                  "truncate-left (keep the end)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the bfd row shuffle")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Tokenizer threads (default: all cores)");
  cmd->add_option("--rows-per-shard", o->rows_per_shard, "Rows per shard file (default: ~64 MiB shards)");
  cmd->add_flag("--no-reference", o->no_reference,
                "Skip the reference .npy/.json files (they take 20 bytes per token position)");
  cmd->require_subcommand(0, 1);
  lw::apps::set_action(cmd, [o] { return run(*o); });
});

}  // namespace
