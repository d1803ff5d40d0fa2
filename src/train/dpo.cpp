// DPO (see dpo.hpp).
#include "train/dpo.hpp"

#include <algorithm>
#include <cmath>

#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "io/sha256.hpp"
#include "tokenizer/chat_format.hpp"
#include "train/checkpoint.hpp"
#include "train/rng.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace fs = std::filesystem;

namespace lw::train {

namespace {

std::vector<int32_t> id_array(const io::Record& rec, const std::string& field) {
  if (!rec.value.contains(field) || !rec.value[field].is_array())
    fail_input("{}: field \"{}\": expected an array of token ids", rec.where(), field);
  std::vector<int32_t> out;
  for (const auto& x : rec.value[field]) {
    if (!x.is_number_integer() || x.get<int64_t>() < 0)
      fail_input("{}: field \"{}\": expected non-negative integers", rec.where(), field);
    out.push_back(x.get<int32_t>());
  }
  return out;
}

// A "role"/"content" message array of a field; InputError naming the field otherwise.
std::vector<tok::ChatMessage> message_array(const io::Record& rec, const std::string& field) {
  const auto& a = rec.value.at(field);
  std::vector<tok::ChatMessage> out;
  for (const auto& m : a) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
        !m["content"].is_string())
      fail_input("{}: field \"{}\": expected messages {{\"role\": string, \"content\": string}}", rec.where(),
                 field);
    out.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  }
  if (out.empty()) fail_input("{}: field \"{}\": no messages", rec.where(), field);
  return out;
}

// The prompt turns of a text pair: "prefix" (agentwrite pairs), or "prompt" as messages or text.
std::vector<tok::ChatMessage> prompt_messages(const io::Record& rec) {
  if (rec.has("prefix")) {
    if (!rec.value["prefix"].is_array())
      fail_input("{}: field \"prefix\": expected an array of messages", rec.where());
    return message_array(rec, "prefix");
  }
  if (rec.has("prompt") && rec.value["prompt"].is_array()) return message_array(rec, "prompt");
  return {{"user", rec.get_string("prompt")}};
}

// A response field: a string (one assistant turn) or messages (TRL's conversational form).
void append_response(const io::Record& rec, const std::string& field, std::vector<tok::ChatMessage>& msgs) {
  if (rec.has(field) && rec.value[field].is_array()) {
    for (auto& m : message_array(rec, field)) msgs.push_back(std::move(m));
    return;
  }
  msgs.push_back({"assistant", rec.get_string(field)});
}

double log_sigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

std::vector<DpoPair> load_dpo_pairs(const fs::path& path, const tok::Tokenizer* tok,
                                    const tok::ChatFormat* fmt) {
  std::vector<DpoPair> pairs;
  io::JsonlReader rd(path);
  io::Record rec;
  while (rd.next(rec)) {
    DpoPair p;
    if (rec.has("prompt_ids")) {
      auto prompt = id_array(rec, "prompt_ids");
      for (int side = 0; side < 2; side++) {
        auto resp = id_array(rec, side == 0 ? "chosen_ids" : "rejected_ids");
        if (resp.empty()) fail_input("{}: empty response", rec.where());
        auto& ids = side == 0 ? p.chosen : p.rejected;
        auto& mask = side == 0 ? p.chosen_mask : p.rejected_mask;
        ids = prompt;
        ids.insert(ids.end(), resp.begin(), resp.end());
        mask.assign(prompt.size(), 0);
        mask.insert(mask.end(), resp.size(), 1);
      }
    } else {
      if (!tok || !fmt)
        fail_input("{}: text pairs need a tokenizer and chat format (the model directory's)", rec.where());
      const std::vector<tok::ChatMessage> prompt = prompt_messages(rec);
      // Labels only after the prompt (and its assistant header): the final assistant turn.
      const size_t prompt_len = fmt->render_prompt(prompt).size();
      for (int side = 0; side < 2; side++) {
        const std::string field = side == 0 ? "chosen" : "rejected";
        std::vector<tok::ChatMessage> msgs = prompt;
        append_response(rec, field, msgs);
        tok::RenderedChat rc = fmt->render(msgs);
        auto& ids = side == 0 ? p.chosen : p.rejected;
        auto& mask = side == 0 ? p.chosen_mask : p.rejected_mask;
        ids.assign(rc.ids.begin(), rc.ids.end());
        mask = rc.labels;
        for (size_t t = 0; t < std::min(prompt_len, mask.size()); t++) mask[t] = 0;
        if (std::find(mask.begin(), mask.end(), 1) == mask.end())
          fail_input("{}: field \"{}\": no response tokens after the prompt", rec.where(), field);
      }
    }
    pairs.push_back(std::move(p));
  }
  if (pairs.empty()) fail_input("{}: no preference pairs", path.string());
  return pairs;
}

Row dpo_row(const DpoPair& p) {
  std::vector<int32_t> tokens, labels;
  for (int side = 0; side < 2; side++) {
    const auto& ids = side == 0 ? p.chosen : p.rejected;
    const auto& mask = side == 0 ? p.chosen_mask : p.rejected_mask;
    for (size_t i = 0; i < ids.size(); i++) {
      tokens.push_back(ids[i]);
      labels.push_back(mask[i] ? ids[i] : -100);
    }
  }
  int nc = (int)p.chosen.size();
  return row_from_labels(tokens, {0, nc, (int)tokens.size()}, labels, {});
}

std::vector<DpoPack> pack_dpo_pairs(const std::vector<DpoPair>& pairs, const std::vector<size_t>& which,
                                    int max_tokens) {
  std::vector<DpoPack> packs;
  std::vector<Row> rows;
  size_t tokens = 0;
  auto flush = [&] {
    if (rows.empty()) return;
    packs.back().row = rows.size() == 1 ? rows[0] : concat_rows(rows);
    rows.clear();
    tokens = 0;
  };
  for (size_t i : which) {
    const size_t n = pairs[i].chosen.size() + pairs[i].rejected.size();
    if (rows.empty() || max_tokens <= 0 || tokens + n > (size_t)max_tokens) {
      flush();
      packs.emplace_back();
    }
    rows.push_back(dpo_row(pairs[i]));
    packs.back().pairs.push_back(i);
    tokens += n;
  }
  flush();
  return packs;
}

namespace {
// Per-pair (chosen, rejected) sums of -nll over the targets of segments 2k and 2k + 1.
std::vector<std::pair<double, double>> segment_logps(const Row& row, const std::vector<float>& nll) {
  std::vector<std::pair<double, double>> out(row.n_seq() / 2, {0.0, 0.0});
  for (int s = 0; s < row.n_seq(); s++) {
    double lp = 0;
    for (int t = row.cu_seqlens[s]; t < row.cu_seqlens[s + 1]; t++)
      if (row.targets[t] >= 0) lp -= nll[t];
    (s % 2 == 0 ? out[s / 2].first : out[s / 2].second) = lp;
  }
  return out;
}
}  // namespace

std::vector<std::pair<double, double>> pack_logps(TrainModel<float>& m, const DpoPack& pack) {
  const Row& row = pack.row;
  std::vector<float> zero(row.T(), 0.0f), nll(row.T(), 0.0f);
  m.forward(row, /*recompute=*/true);
  m.head(row.targets.data(), zero.data(), nll.data(), false, /*nll_for_all_targets=*/true);
  return segment_logps(row, nll);
}

std::pair<double, double> pair_logps(TrainModel<float>& m, const Row& row) {
  return pack_logps(m, DpoPack{row, {0}}).at(0);
}

std::vector<std::pair<double, double>> reference_logps(TrainModel<float>& ref,
                                                       const std::vector<DpoPair>& pairs,
                                                       const fs::path& cache,
                                                       const std::string& ref_id) {
  // Fingerprint: FNV-1a over the pair tokens and masks plus the reference id.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](uint64_t x) { h = (h ^ x) * 1099511628211ULL; };
  for (char c : ref_id) mix((uint8_t)c);
  for (const auto& p : pairs) {
    for (auto* v : {&p.chosen, &p.rejected}) {
      mix(v->size());
      for (int32_t x : *v) mix((uint64_t)x);
    }
    for (auto* v : {&p.chosen_mask, &p.rejected_mask})
      for (uint8_t x : *v) mix(x);
  }
  std::string fp = fmt::format("{:016x}", h);
  if (fs::exists(cache)) {
    try {
      auto j = nlohmann::json::parse(io::read_file(cache));
      if (j.value("fingerprint", "") == fp && j.value("sha256", "") != io::sha256_hex(j["logps"].dump())) {
        log::warn("{}: field \"logps\" does not match its sha256 (damaged or edited); recomputing",
                  cache.string());
      } else if (j.value("fingerprint", "") == fp && j["logps"].size() == pairs.size()) {
        std::vector<std::pair<double, double>> out;
        for (const auto& x : j["logps"]) out.emplace_back(x[0].get<double>(), x[1].get<double>());
        log::info("reference log-probabilities from {}", cache.string());
        return out;
      }
    } catch (const std::exception&) {
      log::warn("{}: unreadable cache, recomputing", cache.string());
    }
  }
  std::vector<std::pair<double, double>> out;
  Progress progress("reference log-probs", (int64_t)pairs.size(), "pairs");
  for (const auto& p : pairs) {
    out.push_back(pair_logps(ref, dpo_row(p)));
    progress.add(1);
  }
  progress.finish();
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& [c, r] : out) arr.push_back({c, r});
  fs::create_directories(cache.parent_path().empty() ? fs::path(".") : cache.parent_path());
  io::write_file_atomic(
      cache,
      nlohmann::json(
          {{"fingerprint", fp}, {"ref", ref_id}, {"logps", arr}, {"sha256", io::sha256_hex(arr.dump())}})
              .dump() +
          "\n");
  return out;
}

DpoStep dpo_accumulate_packed(TrainModel<float>& m, const std::vector<DpoPack>& packs,
                              const std::vector<std::pair<double, double>>& ref, double beta) {
  DpoStep st;
  size_t n_pairs = 0;
  for (const auto& p : packs) n_pairs += p.pairs.size();
  const double B = (double)n_pairs;
  for (const auto& pack : packs) {
    const Row& row = pack.row;
    std::vector<float> w(row.T(), 0.0f), nll(row.T(), 0.0f);
    m.forward(row, false);
    m.head(row.targets.data(), w.data(), nll.data(), false, true);
    const auto lps = segment_logps(row, nll);
    for (size_t k = 0; k < pack.pairs.size(); k++) {
      const auto [lc, lr] = lps[k];
      const auto& rf = ref[pack.pairs[k]];
      double rc = beta * (lc - rf.first), rr = beta * (lr - rf.second);
      double z = rc - rr;
      st.loss += -log_sigmoid(z) / B;
      st.accuracy += (z > 0) / B;
      st.margin += z / B;
      st.chosen_reward += rc / B;
      st.rejected_reward += rr / B;
      // d loss / d logp_chosen = -beta * sigmoid(-z) / B; logp = -sum nll, so the weight on each
      // chosen token's NLL is +beta * sigmoid(-z) / B, and its negative on rejected tokens.
      float coef = (float)(beta * sigmoid(-z) / B);
      for (int s = 2 * (int)k; s < 2 * (int)k + 2; s++)
        for (int t = row.cu_seqlens[s]; t < row.cu_seqlens[s + 1]; t++)
          if (row.targets[t] >= 0) w[t] = s % 2 == 0 ? coef : -coef;
    }
    m.head(row.targets.data(), w.data(), nullptr, /*grad=*/true);
    m.backward();
  }
  return st;
}

DpoStep dpo_accumulate(TrainModel<float>& m, const std::vector<const DpoPair*>& batch,
                       const std::vector<std::pair<double, double>>& ref, double beta) {
  std::vector<DpoPack> packs;
  for (size_t i = 0; i < batch.size(); i++) packs.push_back({dpo_row(*batch[i]), {i}});
  return dpo_accumulate_packed(m, packs, ref, beta);
}

std::vector<DpoStep> dpo_train(TrainModel<float>& policy, const std::vector<DpoPair>& pairs,
                               const std::vector<std::pair<double, double>>& ref_logps,
                               const DpoOptions& o) {
  if (o.batch_pairs < 1) fail_input("--batch-pairs must be at least 1");
  if (!(o.beta > 0)) fail_input("--beta must be positive");
  fs::create_directories(o.out);
  const int64_t n = (int64_t)pairs.size();
  const int64_t per_epoch = (n + o.batch_pairs - 1) / o.batch_pairs;
  const int64_t total = per_epoch * o.epochs;
  LrSchedule sched;
  sched.kind = o.schedule;
  sched.peak = o.adamw.lr;
  sched.total_steps = total;
  sched.warmup_steps = (int64_t)std::ceil(o.warmup_ratio * (double)total);
  AdamWState opt;
  const auto decay = decay_mask(policy.specs());
  io::JsonlWriter metrics(o.out / "metrics.jsonl");
  std::vector<DpoStep> hist;
  Progress progress("dpo", total, "steps");
  int64_t step = 0;
  for (int e = 0; e < o.epochs; e++) {
    std::vector<int64_t> order(n);
    for (int64_t i = 0; i < n; i++) order[i] = i;
    if (o.shuffle) {
      Rng r(o.seed * 0x9e3779b97f4a7c15ULL + (uint64_t)e + 1);
      for (int64_t i = n - 1; i > 0; i--) std::swap(order[i], order[r.below(i + 1)]);
    }
    for (int64_t b0 = 0; b0 < n; b0 += o.batch_pairs) {
      std::vector<size_t> which;
      for (int64_t i = b0; i < std::min(n, b0 + o.batch_pairs); i++) which.push_back((size_t)order[i]);
      policy.zero_grad();
      DpoStep st =
          dpo_accumulate_packed(policy, pack_dpo_pairs(pairs, which, o.pack_tokens), ref_logps, o.beta);
      clip_grad_norm(policy.grads.data(), policy.n_params(), o.clip);
      st.lr = sched.at(step);
      adamw_update(policy.params.data(), policy.grads.data(), opt, decay, o.adamw, st.lr);
      st.step = ++step;
      hist.push_back(st);
      metrics.write({{"step", st.step}, {"loss", st.loss}, {"accuracy", st.accuracy},
                     {"margin", st.margin}, {"chosen_reward", st.chosen_reward},
                     {"rejected_reward", st.rejected_reward}, {"lr", st.lr}});
      progress.set_detail(fmt::format("loss {:.4f} · acc {:.2f}", st.loss, st.accuracy));
      progress.set(step);
      if (o.log_every > 0 && step % o.log_every == 0)
        log::info("dpo step {}/{}  loss {:.4f}  acc {:.2f}  margin {:.4f}  lr {:.3e}", step, total,
                  st.loss, st.accuracy, st.margin, st.lr);
    }
  }
  progress.finish();
  metrics.commit();
  save_model_dir(policy, o.out, o.tokenizer_from);
  return hist;
}

}  // namespace lw::train
