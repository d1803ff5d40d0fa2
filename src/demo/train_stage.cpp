#include "demo/train_stage.hpp"

#include <omp.h>

#include "engine/config.hpp"
#include "io/file.hpp"
#include "train/source.hpp"
#include "train/trainer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::demo {

nlohmann::json train_model(const DemoScale& s, const TrainStageArgs& a) {
  if (a.threads > 0) omp_set_num_threads(a.threads);
  engine::ModelConfig cfg;
  cfg.arch = engine::Arch::llama;
  cfg.V = a.vocab_size;
  cfg.C = s.hidden;
  cfg.n_layer = s.layers;
  cfg.n_head = s.heads;
  cfg.n_kv_head = s.kv_heads;
  cfg.hd = s.hidden / s.heads;
  cfg.ffn = s.ffn;
  cfg.rope_theta = 10000.0f;
  cfg.max_context = static_cast<int>(s.max_len);
  cfg.bos_id = a.bos_id;
  cfg.eos_ids = {a.eos_id};
  cfg.validate("demo model");

  train::TrainModel<float> m(cfg);
  m.init_random(a.seed);
  train::PackSource src(a.packs);

  train::TrainOptions o;
  o.out = a.out;
  o.epochs = a.epochs;
  o.batch_rows = static_cast<int>(s.packs_per_step);
  o.weighting = train::Weighting::token;
  o.adamw.lr = s.lr;
  o.warmup_ratio = 0.05;
  o.min_lr = s.lr * 0.1;
  o.seed = a.seed;
  o.tokenizer_from = a.tokenizer_dir;
  o.log_every = 0;

  // The trainer draws its own progress line (step, loss, tokens/s, lr, ETA).
  double last_loss = 0;
  int64_t tokens = 0;
  auto res = train::train(m, src, o, {{"demo", s.name}, {"V", cfg.V}}, [&](const train::StepMetrics& sm) {
    last_loss = sm.token_loss;
    tokens += sm.tokens;
  });
  if (!res.finished) fail("demo: training of {} stopped before the end", a.out.string());

  // Record the chat format so `longwriter generate --chat` and `serve` detect it.
  auto cfg_path = a.out / "config.json";
  auto j = nlohmann::json::parse(io::read_file(cfg_path));
  j["longwriter_chat_format"] = "chatml";
  io::write_file_atomic(cfg_path, j.dump(2));
  log::info("demo: {} trained: {} steps, final token loss {:.3f}", a.out.string(), res.final_step, last_loss);
  return {{"steps", res.final_step},
          {"tokens", tokens},
          {"final_token_loss", last_loss},
          {"params", cfg.n_params()}};
}

}  // namespace lw::demo
