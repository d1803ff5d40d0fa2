#include "demo/pipeline.hpp"

#include <chrono>
#include <random>

#include <fmt/format.h>

#include "agentwrite/pipeline.hpp"
#include "eval/predict.hpp"
#include "eval/ruler.hpp"
#include "data/packer.hpp"
#include "demo/bpe_train.hpp"
#include "demo/report.hpp"
#include "demo/sft_sets.hpp"
#include "demo/stages.hpp"
#include "demo/train_stage.hpp"
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
  io::write_file_atomic(tdir / "tokenizer_config.json",
                        Json{{"eos_token", "<|im_end|>"},
                             {"pad_token", "<|endoftext|>"},
                             {"bos_token", nullptr},
                             {"model_max_length", scale.max_len},
                             {"tokenizer_class", "PreTrainedTokenizerFast"}}
                            .dump(2));
  return {{"vocab_size", m.tokens.size() + m.specials.size()}, {"merges", m.merges.size()}};
}

Json pack_stage(const DemoScale& scale, const fs::path& dir, const std::string& set, uint64_t seed, int threads,
                bool progress) {
  auto tok = tok::load_tokenizer(dir / "tokenizer");
  auto format = tok::ChatFormat::by_name(kFormat, *tok);
  data::PackOptions o;
  o.inputs = {dir / "data" / (set + ".jsonl")};
  o.out = dir / "packs" / set;
  o.max_len = scale.max_len;
  o.strategy = data::Strategy::bfd;
  o.weighting = data::Weighting::token;
  o.seed = seed;
  o.threads = threads > 0 ? threads : 2;
  o.write_reference = false;
  o.progress = progress;
  auto man = data::pack_files(o, *tok, format);
  return {{"rows", man.rows}, {"sequences", man.sequences}, {"efficiency", man.efficiency()},
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

Json ruler_stage(const DemoScale& scale, const fs::path& dir, const std::string& model, uint64_t seed, int threads) {
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
  if (summary.failed > 0) fail("demo ruler for the {} model: {} prompts failed: {}", model, summary.failed,
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
  }
  c.s_l = rep.overall.s_l;
  return c;
}

Json write_stage(const DemoScale& scale, const fs::path& dir, int threads) {
  auto backend = serve::open_local_backend(dir / "models" / "long", local_options(scale, threads));
  agentwrite::Store store(dir / "write" / "store.sqlite");
  agentwrite::PipelineConfig cfg;
  cfg.plan_template = demo_plan_template();
  cfg.write_template = demo_write_template();
  cfg.concurrency = 1;
  cfg.temperature = 0.0;
  cfg.max_tokens = std::min<int64_t>(scale.max_len / 2, 1500);
  cfg.min_length_fraction = 0.0;  // report whatever comes out
  cfg.limits.trim_to_target = true;  // a tiny model's plan tends to run on past its target
  std::mt19937_64 rng(11);
  agentwrite::WorkItem item;
  item.prompt = make_instruction(Lang::en, "lighthouses", scale.write_target, rng);
  item.target_words = scale.write_target;
  auto results = agentwrite::run_pipeline(*backend, store, {item}, cfg);
  const auto& r = results.at(0);
  if (r.status == agentwrite::ItemStatus::failed) fail("demo write: {}", r.reason);
  io::write_file_atomic(dir / "write.md", fmt::format("<!-- {} -->\n\n{}\n", item.prompt, r.response));
  return {{"prompt", item.prompt},
          {"target", scale.write_target},
          {"produced", r.response_length},
          {"steps", r.plan.steps.size()},
          {"plan", r.plan_text}};
}

}  // namespace

DemoResult run_demo(const DemoOptions& opts) {
  auto t0 = std::chrono::steady_clock::now();
  DemoResult res;
  res.scale = opts.quick ? quick_scale() : full_scale();
  const DemoScale& scale = res.scale;
  const fs::path dir = opts.out;
  fs::create_directories(dir);
  StageCache stages(dir, Json{{"scale", scale.to_json()}, {"seed", opts.seed}, {"version", 1}});

  stages.run("corpus", [&] {
    auto s = write_sft_sets(scale, opts.seed, dir / "data", nullptr);
    return Json{{"capped_examples", s.capped_count}, {"long_examples", s.long_count},
                {"capped_max_words", s.capped_max_words}, {"long_max_words", s.long_max_words}};
  });
  Json tj = stages.run("tokenizer", [&] { return tokenizer_stage(scale, dir); });
  for (const char* set : {"capped", "long"})
    stages.run(std::string("pack-") + set, [&] { return pack_stage(scale, dir, set, opts.seed, opts.threads, opts.progress); });
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
      return train_model(scale, a);
    });
  }
  for (const char* set : {"capped", "long"})
    stages.run(std::string("ruler-") + set, [&] { return ruler_stage(scale, dir, set, opts.seed, opts.threads); });
  res.capped = curve_of(dir, "capped");
  res.long_model = curve_of(dir, "long");
  Json wj = stages.run("write", [&] { return write_stage(scale, dir, opts.threads); });
  res.write_target = wj.value("target", int64_t{0});
  res.write_produced = wj.value("produced", int64_t{0});
  res.stage_seconds = stages.timings();
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_demo_report(res, dir);
  (void)tj;
  return res;
}

}  // namespace lw::demo
