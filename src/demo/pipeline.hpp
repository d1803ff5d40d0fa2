#pragma once
// `longwriter demo`: the paper's controlled experiment in miniature, end to end with the project's
// own pipeline. Stages (each cached under DIR/stages/NAME.json; a rerun skips finished ones):
//   corpus     synthetic instructions + exact-length responses → DIR/data/{capped,long}.jsonl
//   tokenizer  a small byte-level BPE trained on the corpus → DIR/tokenizer/tokenizer.json
//   pack-*     both sets packed (bfd, token weighting) → DIR/packs/{capped,long}
//   train-*    two tiny Llama models trained from random init → DIR/models/{capped,long}
//   ruler-*    LongWrite-Ruler-style prompts answered by each model → DIR/ruler/{capped,long}.jsonl
//   report     both ruler curves side by side + S_l → DIR/report.{json,md,html}
//   write      AgentWrite with the long model on the embedded engine → DIR/write.md
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo/scale.hpp"

namespace lw::demo {

struct DemoOptions {
  std::filesystem::path out = "demo-out";
  bool quick = false;
  uint64_t seed = 1;
  int threads = 0;  // 0: all cores
  bool progress = true;
};

struct RulerCurve {
  std::string model;
  std::vector<int64_t> lengths;
  std::vector<double> mean_produced;
  std::vector<int64_t> max_produced;
  double s_l = 0;
};

struct DemoResult {
  DemoScale scale;
  RulerCurve capped, long_model;
  int64_t write_target = 0, write_produced = 0;
  double seconds = 0;
  std::vector<std::pair<std::string, double>> stage_seconds;  // stages run now (cached: absent)
};

DemoResult run_demo(const DemoOptions& opts);

// The report's Markdown (also used for docs/demo.md).
std::string demo_markdown(const DemoResult& r);

}  // namespace lw::demo
