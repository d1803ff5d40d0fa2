// longwriter eval-loss: target loss and perplexity of a model on packs, by position bucket.
#include <omp.h>

#include <cstdio>
#include <memory>

#include "common/registry.hpp"
#include "io/file.hpp"
#include "train/checkpoint.hpp"
#include "train/eval.hpp"
#include "train/source.hpp"
#include "util/error.hpp"

namespace {

struct Options {
  std::string data, model, by = "output", json_out;
  std::vector<int64_t> edges;
  int64_t max_rows = 0;
  int threads = 0;
};

const bool registered = lw::apps::register_command("eval-loss", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "eval-loss",
      "Mean next-token loss (NLL) and perplexity of a model on the labelled targets of a pack\n"
      "directory, overall and by position bucket, to see whether long outputs are learned.");
  cmd->add_option("--data", o->data, "Pack directory")->required();
  cmd->add_option("--model", o->model, "Model directory (or .gguf)")->required();
  cmd->add_option("--by", o->by,
                  "Bucket by 'output' (offset of the target inside its answer) or 'sequence'\n"
                  "(position in the whole sequence)")
      ->capture_default_str();
  cmd->add_option("--buckets", o->edges, "Bucket lower edges (default 0 256 512 1024 ... 32768)");
  cmd->add_option("--max-rows", o->max_rows, "Evaluate only the first N pack rows (0: all)")->capture_default_str();
  cmd->add_option("--json", o->json_out, "Also write the result as JSON to this file");
  cmd->add_option("--threads", o->threads, "Compute threads (0: all cores)");
  lw::apps::set_action(cmd, [o] {
    if (o->threads > 0) omp_set_num_threads(o->threads);
    lw::train::BucketBy by;
    if (o->by == "output") by = lw::train::BucketBy::output;
    else if (o->by == "sequence") by = lw::train::BucketBy::sequence;
    else lw::fail_input("--by: expected output or sequence, got '{}'", o->by);
    auto edges = o->edges.empty() ? lw::train::default_bucket_edges() : o->edges;
    if (edges.front() != 0) edges.insert(edges.begin(), 0);
    for (size_t i = 1; i < edges.size(); i++)
      if (edges[i] <= edges[i - 1]) lw::fail_input("--buckets must increase");
    lw::train::InitSpec init = lw::train::resolve_init(o->model);
    if (!init.has_weights) lw::fail_input("--model {}: no weights found", o->model);
    lw::train::TrainModel<float> m(init.cfg);
    lw::train::load_weights(m, init.path);
    lw::train::PackSource src(o->data);
    auto r = lw::train::eval_loss(m, src, by, edges, o->max_rows);
    std::fputs(r.table().c_str(), stdout);
    if (!o->json_out.empty()) lw::io::write_file_atomic(o->json_out, r.to_json().dump(2) + "\n");
    return 0;
  });
});

}  // namespace
