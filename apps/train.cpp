// longwriter train: packed SFT training of a Llama-family model on a pack directory.
#include <omp.h>

#include <memory>

#include "common/registry.hpp"
#include "io/pack_format.hpp"
#include "train/checkpoint.hpp"
#include "train/source.hpp"
#include "train/trainer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

struct Options {
  std::string data, model, out, weighting = "longwriter", schedule = "cosine", tokenizer;
  lw::train::TrainOptions t;
  bool no_shuffle = false, no_resume = false;
  int threads = 0;
};

const bool registered = lw::apps::register_command("train", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "train",
      "Supervised fine-tuning on packs (longwriter pack output): each pack row holds several\n"
      "sequences separated by cu_seqlens; attention never crosses a boundary. A step takes\n"
      "--batch-packs rows (gradient accumulation) and weights the loss exactly over that whole\n"
      "global batch. Writes OUT/metrics.jsonl, OUT/checkpoints/step-N (resumable) and, at the\n"
      "end, an HF-style model directory in OUT (config.json, model.safetensors, tokenizer files)\n"
      "that generate/serve load. Re-running the same command resumes from the latest checkpoint.");
  cmd->add_option("--data", o->data, "Pack directory (manifest.json + shard-*.bin)")->required();
  cmd->add_option("--model", o->model,
                  "Initial model: a model directory (its weights are loaded), or a config.json (or a\n"
                  "directory with only config.json) for random initialisation")
      ->required();
  cmd->add_option("--out", o->out, "Output directory")->required();
  cmd->add_option("--epochs", o->t.epochs, "Passes over the data")->capture_default_str();
  cmd->add_option("--max-steps", o->t.max_steps, "Stop after this many optimizer steps in total (0: epochs decide)")
      ->capture_default_str();
  cmd->add_option("--batch-packs", o->t.batch_rows, "Pack rows per optimizer step (gradient accumulation)")
      ->capture_default_str();
  cmd->add_option("--weighting", o->weighting,
                  "Loss weighting over the global batch: longwriter (the paper's: token mean x sequences in\n"
                  "the batch / K), token (sum of target losses / their count), sequence (mean of per-sequence\n"
                  "means), longalign (pack weights / K)")
      ->capture_default_str();
  cmd->add_option("--longalign-k", o->t.longalign_k, "K of --weighting longwriter and longalign")->capture_default_str();
  cmd->add_option("--lr", o->t.adamw.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--min-lr", o->t.min_lr, "Learning rate at the end of the decay")->capture_default_str();
  cmd->add_option("--schedule", o->schedule, "Decay after warmup: cosine, linear or constant")->capture_default_str();
  cmd->add_option("--warmup-ratio", o->t.warmup_ratio, "Warmup steps as a fraction of all steps")->capture_default_str();
  cmd->add_option("--warmup-steps", o->t.warmup_steps, "Warmup steps (overrides --warmup-ratio when >= 0)");
  cmd->add_option("--weight-decay", o->t.adamw.weight_decay, "AdamW decoupled weight decay (not on norms/biases)")
      ->capture_default_str();
  cmd->add_option("--beta1", o->t.adamw.beta1, "AdamW beta1")->capture_default_str();
  cmd->add_option("--beta2", o->t.adamw.beta2, "AdamW beta2")->capture_default_str();
  cmd->add_option("--adam-eps", o->t.adamw.eps, "AdamW epsilon")->capture_default_str();
  cmd->add_option("--clip", o->t.clip, "Global gradient-norm clipping (0: off)")->capture_default_str();
  cmd->add_option("--seed", o->t.seed, "Seed of the data order and of random initialisation")->capture_default_str();
  cmd->add_flag("--no-shuffle", o->no_shuffle, "Keep the pack order (default: shuffled per epoch)");
  cmd->add_flag("--recompute", o->t.recompute,
                "Activation recomputation: keep only each layer's input and recompute the rest in\n"
                "the backward pass (less memory for long packs, ~1/3 more compute)");
  cmd->add_option("--save-every", o->t.save_every, "Steps between checkpoints (0: only at the end)")
      ->capture_default_str();
  cmd->add_option("--keep-checkpoints", o->t.keep_checkpoints, "Newest checkpoints to keep (0: all)")
      ->capture_default_str();
  cmd->add_flag("--no-resume", o->no_resume, "Start from scratch even if OUT has a checkpoint");
  cmd->add_flag("--resume-from-valid", o->t.resume_from_valid,
                "Resume from the newest checkpoint that verifies (size + SHA-256 of every file, every\n"
                "state field in range), skipping damaged ones with a warning. Without it a damaged latest\n"
                "checkpoint stops the run with exit code 2 naming the file and field");
  cmd->add_option("--stop-after", o->t.stop_after,
                  "Stop this run after N steps (time-boxing; resume later with the same command)");
  cmd->add_option("--log-every", o->t.log_every, "Steps between log lines (0: none)")->capture_default_str();
  cmd->add_option("--tokenizer", o->tokenizer,
                  "Directory whose tokenizer files are copied into OUT (default: the --model directory)");
  cmd->add_option("--threads", o->threads, "Compute threads (0: all cores)")->capture_default_str();
  lw::apps::set_action(cmd, [o] {
    if (o->threads > 0) omp_set_num_threads(o->threads);
    o->t.out = o->out;
    o->t.weighting = lw::train::parse_weighting(o->weighting);
    o->t.schedule = lw::train::parse_schedule(o->schedule);
    o->t.shuffle = !o->no_shuffle;
    o->t.resume = !o->no_resume;
    lw::train::InitSpec init = lw::train::resolve_init(o->model);
    o->t.tokenizer_from = o->tokenizer.empty() ? init.tokenizer_dir
                                                : std::optional<std::filesystem::path>(o->tokenizer);
    lw::train::PackSource src(o->data);
    if (src.vocab_size() > init.cfg.V)
      lw::fail_input("--data {}: tokenizer vocabulary {} exceeds the model's {}", o->data,
                     src.vocab_size(), init.cfg.V);
    lw::train::TrainModel<float> m(init.cfg);
    if (init.has_weights) {
      lw::train::load_weights(m, init.path);
    } else {
      m.init_random(o->t.seed);
    }
    lw::log::info("model: {} parameters, {} layers, hidden {}; data: {} packs of up to {} tokens",
                  m.n_params(), init.cfg.n_layer, init.cfg.C, src.size(), src.reader().max_len());
    nlohmann::json id = {{"data", std::filesystem::absolute(o->data).string()},
                         {"init", std::filesystem::absolute(o->model).string()}};
    auto r = lw::train::train(m, src, o->t, id);
    if (!r.finished)
      lw::log::info("stopped at step {}/{}; run the same command again to resume", r.final_step,
                    r.total_steps);
    return 0;
  });
});

}  // namespace
