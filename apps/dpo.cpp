// longwriter dpo: Direct Preference Optimisation (sigmoid loss) from preference pairs.
#include <omp.h>

#include <filesystem>
#include <memory>

#include "common/registry.hpp"
#include "tokenizer/chat_format.hpp"
#include "tokenizer/tokenizer.hpp"
#include "train/checkpoint.hpp"
#include "train/dpo.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

struct Options {
  std::string pairs, model, ref, out, format = "llama3-longwriter", schedule = "cosine";
  lw::train::DpoOptions d;
  int threads = 0;
};

const bool registered = lw::apps::register_command("dpo", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  o->d.adamw.lr = 5e-7;
  auto* cmd = root.add_subcommand(
      "dpo",
      "Preference tuning with DPO (sigmoid loss): raises the log-probability margin of chosen over\n"
      "rejected responses relative to a frozen reference model. Each pair's chosen and rejected\n"
      "sequences are packed into one row. Reference log-probabilities are computed once and\n"
      "cached in OUT/ref_logps.json. Writes OUT/metrics.jsonl and the tuned model directory OUT.\n"
      "Step-level pairs from `agentwrite pairs` are read as they are (their prefix messages rendered\n"
      "as the prompt); --pack-tokens packs the pairs of a step into fewer, longer rows.\n\n"
      "Example:\n"
      "  longwriter dpo --pairs pairs.jsonl --model sft-model/ --out dpo-model/ --pack-tokens 8192");
  cmd->add_option("--pairs", o->pairs,
                  "JSONL of {\"prompt\",\"chosen\",\"rejected\"} texts (rendered with --format and the\n"
                  "model's tokenizer; prompt may be messages, as TRL's conversational form), `agentwrite\n"
                  "pairs` lines ({\"prefix\": messages, \"chosen\", \"rejected\"}) or\n"
                  "{\"prompt_ids\",\"chosen_ids\",\"rejected_ids\"} token ids")
      ->required();
  cmd->add_option("--model", o->model, "Policy to start from (the SFT model directory)")->required();
  cmd->add_option("--ref", o->ref, "Reference model directory (default: --model)");
  cmd->add_option("--out", o->out, "Output directory")->required();
  cmd->add_option("--format", o->format, "Chat format for text pairs")->capture_default_str();
  cmd->add_option("--beta", o->d.beta, "DPO beta (strength of the KL anchor)")->capture_default_str();
  cmd->add_option("--epochs", o->d.epochs, "Passes over the pairs")->capture_default_str();
  cmd->add_option("--batch-pairs", o->d.batch_pairs, "Pairs per optimizer step")->capture_default_str();
  cmd->add_option("--pack-tokens", o->d.pack_tokens,
                  "Pack the pairs of a step into rows of at most this many tokens (each sequence still\n"
                  "attends only to itself: the same loss as one row per pair; 0: one row per pair)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 24));
  cmd->add_option("--lr", o->d.adamw.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--schedule", o->schedule, "cosine, linear or constant")->capture_default_str();
  cmd->add_option("--warmup-ratio", o->d.warmup_ratio, "Warmup fraction of all steps")->capture_default_str();
  cmd->add_option("--weight-decay", o->d.adamw.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd->add_option("--clip", o->d.clip, "Global gradient-norm clipping (0: off)")->capture_default_str();
  cmd->add_option("--seed", o->d.seed, "Seed of the pair order")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Compute threads (0: all cores)");
  lw::apps::set_action(cmd, [o] {
    if (o->threads > 0) omp_set_num_threads(o->threads);
    o->d.out = o->out;
    o->d.schedule = lw::train::parse_schedule(o->schedule);
    lw::train::InitSpec init = lw::train::resolve_init(o->model);
    if (!init.has_weights) lw::fail_input("--model {}: no weights found", o->model);
    o->d.tokenizer_from = init.tokenizer_dir;
    std::unique_ptr<lw::tok::Tokenizer> tok;
    std::unique_ptr<lw::tok::ChatFormat> fmt;
    if (init.tokenizer_dir && (std::filesystem::exists(*init.tokenizer_dir / "tokenizer.json") ||
                               std::filesystem::exists(*init.tokenizer_dir / "tokenizer.model"))) {
      tok = lw::tok::load_tokenizer(*init.tokenizer_dir);
      fmt = std::make_unique<lw::tok::ChatFormat>(lw::tok::ChatFormat::by_name(o->format, *tok));
    }
    auto pairs = lw::train::load_dpo_pairs(o->pairs, tok.get(), fmt.get());
    std::string ref_path = o->ref.empty() ? o->model : o->ref;
    std::vector<std::pair<double, double>> ref_lp;
    {
      lw::train::InitSpec ri = lw::train::resolve_init(ref_path);
      if (!ri.has_weights) lw::fail_input("--ref {}: no weights found", ref_path);
      lw::train::TrainModel<float> ref(ri.cfg);
      lw::train::load_weights(ref, ri.path);
      ref_lp = lw::train::reference_logps(ref, pairs, std::filesystem::path(o->out) / "ref_logps.json",
                                          std::filesystem::absolute(ref_path).string());
    }
    lw::train::TrainModel<float> policy(init.cfg);
    lw::train::load_weights(policy, init.path);
    lw::log::info("dpo: {} pairs, beta {}, {} parameters", pairs.size(), o->d.beta, policy.n_params());
    lw::train::dpo_train(policy, pairs, ref_lp, o->d);
    return 0;
  });
});

}  // namespace
