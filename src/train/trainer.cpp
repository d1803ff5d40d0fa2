// The SFT training loop (see trainer.hpp).
#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "io/jsonl.hpp"
#include "train/checkpoint.hpp"
#include "train/resume.hpp"
#include "train/rng.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace fs = std::filesystem;

namespace lw::train {

namespace {

std::vector<int64_t> epoch_order(int64_t n, int64_t epoch, const TrainOptions& o) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; i++) order[i] = i;
  if (o.shuffle) {
    Rng r(o.seed * 0x9e3779b97f4a7c15ULL + (uint64_t)epoch + 1);
    for (int64_t i = n - 1; i > 0; i--) std::swap(order[i], order[r.below(i + 1)]);
  }
  return order;
}

// Rewrites metrics.jsonl keeping only steps <= step (after a resume).
void truncate_metrics(const fs::path& file, int64_t step) {
  if (!fs::exists(file)) return;
  io::JsonlReader rd(file);
  rd.set_tolerate_torn_tail(true);
  io::Record rec;
  std::string kept;
  while (rd.next(rec))
    if (rec.value.value("step", (int64_t)0) <= step) kept += io::to_line(rec.value);  // ends in its newline
  io::write_file_atomic(file, kept);
}

}  // namespace

int64_t total_steps_for(int64_t n_rows, const TrainOptions& o) {
  int64_t per_epoch = (n_rows + o.batch_rows - 1) / o.batch_rows;
  int64_t total = per_epoch * o.epochs;
  if (o.max_steps > 0) total = o.max_steps;
  return total;
}

TrainResult train(TrainModel<float>& m, const RowSource& src, const TrainOptions& o,
                  const nlohmann::json& options_id,
                  const std::function<void(const StepMetrics&)>& on_step) {
  if (o.batch_rows < 1) fail_input("--batch-packs must be at least 1");
  if (o.epochs < 1 && o.max_steps <= 0) fail_input("--epochs must be at least 1");
  const int64_t n = src.size();
  if (n == 0) fail_input("training data has no rows");
  fs::create_directories(o.out);

  TrainResult res;
  res.total_steps = total_steps_for(n, o);
  LrSchedule sched;
  sched.kind = o.schedule;
  sched.peak = o.adamw.lr;
  sched.min_lr = o.min_lr;
  sched.total_steps = res.total_steps;
  sched.warmup_steps = o.warmup_steps >= 0 ? o.warmup_steps
                                           : (int64_t)std::ceil(o.warmup_ratio * (double)res.total_steps);

  nlohmann::json id = {{"run", options_id},
                       {"rows", n},
                       {"batch_rows", o.batch_rows},
                       {"weighting", weighting_name(o.weighting)},
                       {"seed", o.seed},
                       {"shuffle", o.shuffle},
                       {"total_steps", res.total_steps},
                       {"n_params", m.n_params()}};

  AdamWState opt;
  TrainState st;
  Rng rng(o.seed);
  st.rng_state = rng.state();
  st.options = id;
  const fs::path metrics_file = o.out / "metrics.jsonl";
  if (o.resume) {
    RunShape shape{n, o.batch_rows, res.total_steps, rng.state()};
    if (auto rp = choose_resume(o.out, id, shape, o.resume_from_valid)) {
      st = rp->state;
      load_checkpoint_tensors(rp->ckpt, m, opt, st);
      rng.set_state(st.rng_state);
      res.resumed_from = st.step;
      truncate_metrics(metrics_file, st.step);
      log::info("resumed from {} (step {}/{})", rp->ckpt.string(), st.step, res.total_steps);
    }
  }
  if (!res.resumed_from) {
    fs::remove(metrics_file);
  }
  io::JsonlAppender metrics(metrics_file);
  const auto decay = decay_mask(m.specs());
  std::vector<int64_t> order = epoch_order(n, st.epoch, o);

  Progress progress("train", res.total_steps, "steps");
  progress.set(st.step);
  int64_t steps_this_run = 0;
  const auto t_run = std::chrono::steady_clock::now();
  while (st.step < res.total_steps) {
    if (o.stop_after > 0 && steps_this_run >= o.stop_after) break;
    if (st.cursor >= n) {
      st.epoch++;
      st.cursor = 0;
      order = epoch_order(n, st.epoch, o);
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Row> rows;
    for (int i = 0; i < o.batch_rows && st.cursor < n; i++) rows.push_back(src.row(order[st.cursor++]));
    std::vector<const Row*> ptrs;
    for (const auto& r : rows) ptrs.push_back(&r);
    auto w = loss_weights(ptrs, o.weighting, o.longalign_k);

    StepMetrics sm;
    m.zero_grad();
    double nll_sum = 0;
    std::vector<float> wf, nll;
    for (size_t i = 0; i < rows.size(); i++) {
      wf.assign(w[i].begin(), w[i].end());
      nll.resize(rows[i].T());
      m.forward(rows[i], o.recompute);
      sm.loss += m.head(rows[i].targets.data(), wf.data(), nll.data(), /*grad=*/true,
                        /*nll_for_all_targets=*/true);
      m.backward();
      for (float x : nll) nll_sum += x;
      sm.tokens += rows[i].T();
      sm.targets += count_targets(rows[i]);
    }
    sm.token_loss = sm.targets ? nll_sum / (double)sm.targets : 0.0;
    sm.grad_norm = clip_grad_norm(m.grads.data(), m.n_params(), o.clip);
    sm.lr = sched.at(st.step);
    adamw_update(m.params.data(), m.grads.data(), opt, decay, o.adamw, sm.lr);
    st.step++;
    st.tokens_seen += sm.tokens;
    steps_this_run++;
    sm.step = st.step;
    sm.epoch = st.epoch;
    sm.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sm.tokens_per_s = sm.seconds > 0 ? (double)sm.tokens / sm.seconds : 0.0;
    if (!std::isfinite(sm.loss)) fail("step {}: the loss is not finite ({})", sm.step, sm.loss);

    metrics.append({{"step", sm.step},         {"epoch", sm.epoch},
                    {"loss", sm.loss},         {"token_loss", sm.token_loss},
                    {"lr", sm.lr},             {"grad_norm", sm.grad_norm},
                    {"tokens", sm.tokens},     {"targets", sm.targets},
                    {"seconds", sm.seconds},   {"tokens_per_s", sm.tokens_per_s}});
    res.history.push_back(sm);
    if (on_step) on_step(sm);

    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_run).count();
    double eta = elapsed / (double)steps_this_run * (double)(res.total_steps - st.step);
    progress.set_detail(fmt::format("loss {:.4f} · {:.0f} tok/s · lr {:.2e}", sm.loss, sm.tokens_per_s, sm.lr));
    progress.set(st.step);
    if (o.log_every > 0 && (st.step % o.log_every == 0 || st.step == res.total_steps))
      log::info("step {}/{}  loss {:.4f}  token-loss {:.4f}  {:.0f} tok/s  lr {:.3e}  |g| {:.3f}  ETA {}",
                st.step, res.total_steps, sm.loss, sm.token_loss, sm.tokens_per_s, sm.lr,
                sm.grad_norm, format_duration(eta));

    bool last = st.step == res.total_steps;
    if ((o.save_every > 0 && st.step % o.save_every == 0) || last) {
      metrics.checkpoint();
      st.rng_state = rng.state();
      st.adam_step = opt.step;
      save_checkpoint(o.out, m, opt, st);
      prune_checkpoints(o.out, o.keep_checkpoints);
    }
  }
  progress.finish();
  res.final_step = st.step;
  res.finished = st.step >= res.total_steps;
  if (res.finished && o.save_final) {
    save_model_dir(m, o.out, o.tokenizer_from);
    log::info("wrote the trained model to {}", o.out.string());
  }
  return res;
}

}  // namespace lw::train
