#pragma once
// Speculative decoding options shared by the commands that run a local model (generate, serve, and
// every command's local --model through apps/common/backend.cpp): the draft source and K.
#include <string>

#include <CLI/CLI.hpp>

#include "engine/speculative.hpp"

namespace lw::apps {

struct SpeculativeOptions {
  bool lookup = false;      // n-gram drafts from the prompt and the reply so far
  std::string draft_model;  // or a small model with the target's vocabulary
  int draft_max = 4;        // K: most tokens drafted per verify step
  int draft_min = 1;        // fewer drafted: a plain decode step
};

// Adds --<prefix>lookup, --<prefix>draft-model, --<prefix>draft-max, --<prefix>draft-min.
inline void add_speculative_options(CLI::App* cmd, SpeculativeOptions& o, const std::string& prefix = "") {
  const std::string p = "--" + prefix;
  cmd->add_flag(p + "lookup", o.lookup,
                "Speculative decoding with n-gram drafts: the tokens that followed the latest earlier\n"
                "occurrence of the text's last 3..1 tokens (prompt and reply), checked K+1 at a time in one\n"
                "forward pass. Greedy output is unchanged; sampled output keeps its distribution (a local model only)");
  cmd->add_option(p + "draft-model", o.draft_model,
                  "Speculative decoding with a small draft model (directory or .gguf) sharing the model's\n"
                  "vocabulary (checked: size and token texts; a local model only)");
  cmd->add_option(p + "draft-max", o.draft_max, "Most tokens drafted per verify step (K, 1..15)")
      ->capture_default_str()
      ->check(CLI::Range(1, 15));
  cmd->add_option(p + "draft-min", o.draft_min,
                  "Fewer drafted tokens than this: a plain one-token decode step instead")
      ->capture_default_str()
      ->check(CLI::Range(1, 15));
}

// The engine's options for these flags (draft_model left null: the caller loads the model).
inline engine::DraftOptions draft_options(const SpeculativeOptions& o) {
  engine::DraftOptions d;
  d.lookup = o.lookup;
  d.draft_max = o.draft_max;
  d.draft_min = o.draft_min;
  return d;
}

}  // namespace lw::apps
