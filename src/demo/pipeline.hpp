#pragma once
// `longwriter demo`: the paper's controlled experiment in miniature, end to end with the project's
// own pipeline. Stages (each cached under DIR/stages/NAME.json; a rerun skips finished ones):
//   corpus     synthetic instructions + exact-length responses → DIR/data/{capped,long}.jsonl
//   tokenizer  a small byte-level BPE trained on the corpus → DIR/tokenizer/tokenizer.json
//   pack-*     both sets packed (bfd, token weighting) → DIR/packs/{capped,long}
//   train-*    two tiny Llama models trained from random init → DIR/models/{capped,long}
//   ruler-*    LongWrite-Ruler-style prompts answered by each model → DIR/ruler/{capped,long}.jsonl
//   agentwrite the same prompts through AgentWrite (plan, then paragraph by paragraph) with the
//              capped model → DIR/ruler/capped-agentwrite.jsonl, DIR/write.md (a sample piece)
//   report     the three curves side by side + S_l → DIR/report.{json,md,html,svg}
// With --with-dpo, before the report (demo/dpo_stage.hpp):
//   dpo-pairs  step pairs of the capped model judged by a scripted judge → DIR/dpo/pairs.jsonl
//   dpo-train  DPO of the capped model on them → DIR/models/capped-dpo
//   dpo-eval   both models through AgentWrite on fresh instructions: per-step figures
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo/dpo_stage.hpp"
#include "demo/scale.hpp"

namespace lw::demo {

struct DemoOptions {
  std::filesystem::path out = "demo-out";
  bool quick = false;
  uint64_t seed = 1;
  int threads = 0;  // 0: all cores
  bool progress = true;
  // Also the step-level DPO stages (demo/dpo_stage.hpp): pairs, DPO, before/after per step.
  bool with_dpo = false;
};

struct RulerCurve {
  std::string model;
  std::vector<int64_t> lengths;
  std::vector<double> mean_produced;
  std::vector<int64_t> max_produced;
  std::vector<double> s_l_per_length;
  double s_l = 0;  // over every length
  // S_l over the lengths up to max_length (e.g. inside the long set's range); 0 when there are none.
  double s_l_upto(int64_t max_length) const;
};

// One AgentWrite piece of the capped model at a write target (scale.write_targets).
struct WritePiece {
  int64_t target = 0, produced = 0;
  int64_t plan_steps = 0, paragraphs = 0;  // steps in the model's plan, paragraphs in the text
};

struct DemoResult {
  DemoScale scale;
  RulerCurve capped, agentwrite, long_model;  // agentwrite: the capped model driven by AgentWrite
  std::vector<WritePiece> pieces;             // every AgentWrite piece at a write target
  double seconds = 0;
  std::vector<std::pair<std::string, double>> stage_seconds;  // stages run now (cached: absent)
  DpoDemo dpo;                                                // with_dpo (dpo.ran)
};

DemoResult run_demo(const DemoOptions& opts);

// The report's Markdown (also used for docs/demo.md).
std::string demo_markdown(const DemoResult& r);

}  // namespace lw::demo
