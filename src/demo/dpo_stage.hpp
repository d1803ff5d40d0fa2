#pragma once
// `demo --with-dpo`: step-level DPO in miniature. The capped model writes K candidates for every
// plan step of held-out instructions (`agentwrite pairs`), a scripted judge scores each by how close
// it is to its budget and how little it repeats itself, best and worst become a pair, and the capped
// model is tuned on the pairs with DPO (packed rows). Both models then write the same fresh
// instructions through AgentWrite, and the report compares them per step: length accuracy (S_l of
// the paragraph against its budget), the share within ±20% of the budget, and the repetition rate.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agentwrite/pipeline.hpp"
#include "demo/scale.hpp"
#include "serve/local_backend.hpp"

namespace lw::demo {

// Share of the word 4-grams of a text that repeat an earlier 4-gram of the same text (0..1).
double repetition_rate(std::string_view text);

// The scripted judge's answer to a demo step-judge prompt (template demo_step_judge_template():
// the step line, the candidate's word count, then the candidate): the six scores, three for the
// length (S_l of the words against the step's budget mapped to 1..5) and three for repetition.
const std::string& demo_step_judge_template();
std::string scripted_judge_answer(const std::string& prompt);

// Per-step figures of AgentWrite runs with one model.
struct StepFigures {
  std::string model;
  int64_t paragraphs = 0;
  double length_accuracy = 0;  // mean S_l (0..100) of each paragraph against its step's budget
  double within_20 = 0;        // share of paragraphs within ±20% of their budget
  double repetition = 0;       // mean repetition_rate of the paragraphs
};

nlohmann::json figures_json(const StepFigures& f);

struct DpoDemo {
  bool ran = false;
  int64_t pairs = 0, steps = 0;  // pairs made, steps judged
  double final_loss = 0, final_accuracy = 0;
  StepFigures before, after;
};

// The stages (each returns the JSON the stage cache keeps). `aw` is the demo's AgentWrite config.
nlohmann::json dpo_pairs_stage(const DemoScale& scale, const std::filesystem::path& dir,
                               const serve::LocalOptions& lo, const agentwrite::PipelineConfig& aw,
                               uint64_t seed);
nlohmann::json dpo_train_stage(const DemoScale& scale, const std::filesystem::path& dir, uint64_t seed,
                               int threads);
nlohmann::json dpo_eval_stage(const DemoScale& scale, const std::filesystem::path& dir,
                              const serve::LocalOptions& lo, const agentwrite::PipelineConfig& aw,
                              uint64_t seed);
DpoDemo dpo_demo_of(const nlohmann::json& pairs, const nlohmann::json& train, const nlohmann::json& eval);

}  // namespace lw::demo
