#include "demo/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <fmt/format.h>

#include "agentwrite/pipeline.hpp"
#include "data/packer.hpp"
#include "demo/bpe_train.hpp"
#include "demo/dpo_stage.hpp"
#include "demo/report.hpp"
#include "demo/sft_sets.hpp"
#include "demo/stages.hpp"
#include "demo/train_stage.hpp"
#include "eval/predict.hpp"
#include "eval/ruler.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "serve/local_backend.hpp"
#include "text/words.hpp"
#include "tokenizer/chat_format.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::demo {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

const char* kFormat = "chatml";
const std::vector<std::string> kSpecials = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};

Json tokenizer_stage(const DemoScale& scale, const fs::path& dir) {
  std::vector<std::string> texts;
  for (const auto& r : io::read_jsonl(dir / "data" / "long.jsonl"))
    for (const auto& m : r.value["messages"]) texts.push_back(m["content"].get<std::string>());
  BpeTrainOptions o;
  o.vocab_size = scale.vocab_size;
  o.specials = kSpecials;
  BpeModel m = train_bpe(texts, o);
  fs::path tdir = dir / "tokenizer";
  io::write_file_atomic(tdir / "tokenizer.json", to_hf_tokenizer_json(m).dump());
  io::write_file_atomic(tdir / "tokenizer_config.json", Json{{"eos_token", "<|im_end|>"},
                                                             {"pad_token", "<|endoftext|>"},
                                                             {"bos_token", nullptr},
                                                             {"model_max_length", scale.max_len},
                                                             {"tokenizer_class", "PreTrainedTokenizerFast"}}
                                                            .dump(2));
  return {{"vocab_size", m.tokens.size() + m.specials.size()}, {"merges", m.merges.size()}};
}

Json pack_stage(const DemoScale& scale, const fs::path& dir, const std::string& set, uint64_t seed,
                int threads, bool progress) {
  auto tok = tok::load_tokenizer(dir / "tokenizer");
  auto format = tok::ChatFormat::by_name(kFormat, *tok);
  data::PackOptions o;
  o.inputs = {dir / "data" / (set + ".jsonl")};
  o.out = dir / "packs" / set;
  o.max_len = set == "capped" ? scale.capped_max_len : scale.max_len;
  o.strategy = data::Strategy::bfd;
  o.weighting = data::Weighting::token;
  o.seed = seed;
  o.threads = threads > 0 ? threads : 2;
  o.write_reference = false;
  o.progress = progress;
  auto man = data::pack_files(o, *tok, format);
  return {{"rows", man.rows},
          {"sequences", man.sequences},
          {"efficiency", man.efficiency()},
          {"labelled_tokens", man.labelled_tokens}};
}

std::vector<io::Record> ruler_prompts(const DemoScale& scale, uint64_t seed) {
  std::mt19937_64 rng(seed + 7);
  std::vector<io::Record> out;
  int64_t line = 0;
  for (int64_t L : scale.ruler_lengths) {
    for (int i = 0; i < scale.per_length; ++i) {
      std::string topic = random_topic(Lang::en, rng);
      io::Record r;
      r.value = {{"prompt", make_instruction(Lang::en, topic, L, rng)}, {"type", "ruler"}, {"length", L}};
      r.path = "<demo ruler>";
      r.line = ++line;
      out.push_back(std::move(r));
    }
  }
  return out;
}

serve::LocalOptions local_options(const DemoScale& scale, int threads) {
  serve::LocalOptions lo;
  lo.format = kFormat;
  lo.threads = threads;
  lo.parallel = 4;
  lo.max_context = static_cast<int>(scale.max_len);
  lo.kv_dtype = engine::DType::f32;  // exact keys and values: the tables in docs/demo.md were made so
  return lo;
}

Json ruler_stage(const DemoScale& scale, const fs::path& dir, const std::string& model, uint64_t seed,
                 int threads) {
  auto backend = serve::open_local_backend(dir / "models" / model, local_options(scale, threads));
  fs::path out = dir / "ruler" / (model + ".jsonl");
  fs::create_directories(out.parent_path());
  eval::PredictOptions po;
  po.concurrency = 4;
  // Sampled, like LongBench-Write's own predictions: a length is a distribution, and greedy decoding
  // would report only where stopping is the single most likely next token.
  po.temperature = 0.8;
  po.seed = static_cast<int64_t>(seed);
  po.max_tokens = scale.max_len - 64;
  po.stream = false;
  auto summary = eval::run_predict(*backend, ruler_prompts(scale, seed), out, po);
  if (summary.failed > 0)
    fail("demo ruler for the {} model: {} prompts failed: {}", model, summary.failed,
         summary.failures.empty() ? "" : summary.failures[0]);
  return {{"completed", summary.completed + summary.already_done}};
}

RulerCurve curve_of(const fs::path& dir, const std::string& model) {
  auto rep = eval::analyze_ruler(io::read_jsonl(dir / "ruler" / (model + ".jsonl")));
  RulerCurve c;
  c.model = model;
  for (const auto& row : rep.rows) {
    c.lengths.push_back(row.length);
    c.mean_produced.push_back(row.mean);
    c.max_produced.push_back(row.max);
    c.s_l_per_length.push_back(row.s_l);
  }
  c.s_l = rep.overall.s_l;
  return c;
}

// The demo's AgentWrite settings (the agentwrite stage's, and the DPO stages').
agentwrite::PipelineConfig agentwrite_config(const DemoScale& scale, uint64_t seed) {
  agentwrite::PipelineConfig cfg;
  cfg.plan_template = demo_plan_template();
  cfg.write_template = demo_write_template();
  cfg.concurrency = 4;
  cfg.temperature = 0.8;
  cfg.seed = static_cast<int64_t>(seed);
  // Plans and paragraphs are short; this bounds a run-away answer.
  cfg.max_tokens = 3 * scale.short_cap + 64;
  cfg.length_control = false;  // the plan's budgets are the lengths the model was taught
  // A paragraph that runs on stops near 1.2x its budget, at its last full (ten-word) sentence.
  cfg.cap.margin = 0.2;
  cfg.min_length_fraction = 0.0;  // report whatever comes out
  cfg.limits.max_steps = static_cast<int>(scale.ruler_lengths.back() / scale.plan_step_words) + 5;
  return cfg;
}

// The ruler's prompts through AgentWrite with the capped model: it plans (steps of at most its
// cap, each line counting down what is left), then writes each step from the step line alone, as
// the paper's AgentWrite does with a model whose own outputs are capped.
Json agentwrite_stage(const DemoScale& scale, const fs::path& dir, uint64_t seed, int threads) {
  auto backend = serve::open_local_backend(dir / "models" / "capped", local_options(scale, threads));
  // The stage runs only when its settings changed or it never finished: a store left in DIR may hold
  // answers of a model trained under other settings, so it starts afresh (a few seconds of work).
  fs::remove_all(dir / "write");
  agentwrite::Store store(dir / "write" / "store.sqlite");
  const agentwrite::PipelineConfig cfg = agentwrite_config(scale, seed);
  auto prompts = ruler_prompts(scale, seed);
  std::vector<agentwrite::WorkItem> items;
  for (const auto& p : prompts) {
    agentwrite::WorkItem item;
    item.prompt = p.value["prompt"].get<std::string>();
    item.target_words = p.value["length"].get<int64_t>();
    items.push_back(std::move(item));
  }
  auto results = agentwrite::run_pipeline(*backend, store, items, cfg);
  io::JsonlWriter w(dir / "ruler" / "capped-agentwrite.jsonl");
  Json pieces = Json::array();
  bool sample_written = false;
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (r.status == agentwrite::ItemStatus::failed) fail("demo agentwrite, prompt {}: {}", i + 1, r.reason);
    Json rec = prompts[i].value;
    rec["response"] = r.response;
    rec["response_length"] = r.response_length;
    rec["plan_steps"] = r.plan.steps.size();
    rec["paragraphs"] = r.paragraphs.size();
    w.write(rec);
    const int64_t L = items[i].target_words;
    if (std::find(scale.write_targets.begin(), scale.write_targets.end(), L) == scale.write_targets.end())
      continue;
    pieces.push_back({{"target", L},
                      {"produced", r.response_length},
                      {"plan_steps", r.plan.steps.size()},
                      {"paragraphs", r.paragraphs.size()}});
    if (!sample_written) {
      io::write_file_atomic(dir / "write.md",
                            fmt::format("<!-- {} -->\n\n## Plan\n\n{}\n\n## Text ({} words)\n\n{}\n",
                                        items[i].prompt, r.plan_text, r.response_length, r.response));
      sample_written = true;
    }
  }
  w.commit();
  return {{"items", results.size()}, {"pieces", pieces}};
}

}  // namespace

double RulerCurve::s_l_upto(int64_t max_length) const {
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < lengths.size() && i < s_l_per_length.size(); ++i)
    if (lengths[i] <= max_length) sum += s_l_per_length[i], ++n;
  return n ? sum / n : 0.0;
}

DemoResult run_demo(const DemoOptions& opts) {
  auto t0 = std::chrono::steady_clock::now();
  DemoResult res;
  res.scale = opts.quick ? quick_scale() : full_scale();
  const DemoScale& scale = res.scale;
  const fs::path dir = opts.out;
  fs::create_directories(dir);
  StageCache stages(dir, Json{{"scale", scale.to_json()}, {"seed", opts.seed}, {"version", 2}});

  stages.run("corpus", [&] {
    auto s = write_sft_sets(scale, opts.seed, dir / "data", nullptr);
    return Json{{"capped_examples", s.capped_count},
                {"long_examples", s.long_count},
                {"capped_max_words", s.capped_max_words},
                {"long_max_words", s.long_max_words}};
  });
  Json tj = stages.run("tokenizer", [&] { return tokenizer_stage(scale, dir); });
  for (const char* set : {"capped", "long"})
    stages.run(std::string("pack-") + set,
               [&] { return pack_stage(scale, dir, set, opts.seed, opts.threads, opts.progress); });
  auto tok = tok::load_tokenizer(dir / "tokenizer");
  for (const char* set : {"capped", "long"}) {
    stages.run(std::string("train-") + set, [&] {
      TrainStageArgs a;
      a.packs = dir / "packs" / set;
      a.tokenizer_dir = dir / "tokenizer";
      a.out = dir / "models" / set;
      a.vocab_size = tok->vocab_size();
      a.bos_id = tok->bos_id();
      a.eos_id = *tok->token_to_id("<|im_end|>");
      a.seed = opts.seed;
      a.threads = opts.threads;
      a.epochs = std::string(set) == "capped" ? scale.capped_epochs : scale.epochs;
      return train_model(scale, a);
    });
  }
  for (const char* set : {"capped", "long"})
    stages.run(std::string("ruler-") + set,
               [&] { return ruler_stage(scale, dir, set, opts.seed, opts.threads); });
  Json aw = stages.run("agentwrite", [&] { return agentwrite_stage(scale, dir, opts.seed, opts.threads); });
  res.capped = curve_of(dir, "capped");
  res.agentwrite = curve_of(dir, "capped-agentwrite");
  res.agentwrite.model = "capped + AgentWrite";
  res.long_model = curve_of(dir, "long");
  for (const auto& p : aw.at("pieces"))
    res.pieces.push_back({p.at("target").get<int64_t>(), p.at("produced").get<int64_t>(),
                          p.at("plan_steps").get<int64_t>(), p.at("paragraphs").get<int64_t>()});
  if (opts.with_dpo) {
    const auto lo = local_options(scale, opts.threads);
    const auto aw_cfg = agentwrite_config(scale, opts.seed);
    Json pj = stages.run("dpo-pairs", [&] { return dpo_pairs_stage(scale, dir, lo, aw_cfg, opts.seed); });
    Json trj = stages.run("dpo-train", [&] { return dpo_train_stage(scale, dir, opts.seed, opts.threads); });
    Json ej = stages.run("dpo-eval", [&] { return dpo_eval_stage(scale, dir, lo, aw_cfg, opts.seed); });
    res.dpo = dpo_demo_of(pj, trj, ej);
  }
  res.stage_seconds = stages.timings();
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_demo_report(res, dir);
  (void)tj;
  return res;
}

}  // namespace lw::demo
