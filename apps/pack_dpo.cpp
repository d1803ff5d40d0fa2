// longwriter pack dpo --in pairs.jsonl --out trl.jsonl: preference pairs (from `agentwrite pairs`,
// or {"prompt","chosen","rejected"} texts) as TRL's DPO conversational JSONL, the hand-off format
// for the reference DeepSpeed/TRL trainers.
#include <memory>

#include "agentwrite/pairs.hpp"
#include "common/registry.hpp"
#include "io/jsonl.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

namespace aw = lw::agentwrite;

struct Options {
  std::string in, out, type = "all";
};

// A pair line in the form trl_dpo_line reads: agentwrite pairs lines as they are; text lines
// {"prompt": string, "chosen", "rejected"} get their prompt as one user message.
nlohmann::json as_pair(const lw::io::Record& r) {
  if (!r.value.is_object()) lw::fail_input("{}: expected a JSON object", r.where());
  nlohmann::json p = r.value;
  if (!p.contains("prefix"))
    p["prefix"] = nlohmann::json::array({{{"role", "user"}, {"content", r.get_string("prompt")}}});
  if (!p["prefix"].is_array() || p["prefix"].empty())
    lw::fail_input("{}: field \"prefix\": expected an array of messages", r.where());
  r.get_string("chosen");
  r.get_string("rejected");
  return p;
}

int run(const Options& o) {
  lw::io::JsonlReader rd(o.in);
  lw::io::JsonlWriter out(o.out);
  lw::io::Record r;
  int64_t n = 0, skipped = 0;
  while (rd.next(r)) {
    nlohmann::json p = as_pair(r);
    if (o.type != "all" && p.value("type", "step") != o.type) {
      ++skipped;
      continue;
    }
    out.write(aw::trl_dpo_line(p));
    ++n;
  }
  out.commit();
  lw::log::info("pack dpo: {} pairs -> {} ({} of another type skipped)", n, o.out, skipped);
  return 0;
}

const bool registered = lw::apps::register_command("pack.dpo", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* parent = lw::apps::parent_command(root, "pack", "Pack chat data for training");
  auto* cmd = parent->add_subcommand(
      "dpo",
      "Write preference pairs as TRL's DPO conversational JSONL: {\"prompt\": the prefix messages,\n"
      "\"chosen\": [{\"role\":\"assistant\",...}], \"rejected\": [...]}, for TRL's DPOTrainer (which "
      "applies\n"
      "the model's chat template). Reads `agentwrite pairs` output or {\"prompt\",\"chosen\",\"rejected\"}\n"
      "text lines.\n\n"
      "Example:\n"
      "  longwriter pack dpo --in pairs.jsonl --out pairs.trl.jsonl --type step");
  cmd->add_option("--in", o->in, "Pairs, JSONL")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "TRL DPO JSONL (written atomically)")->required();
  cmd->add_option("--type", o->type, "Which pairs of `agentwrite pairs`: step, whole or all")
      ->capture_default_str()
      ->check(CLI::IsMember({"step", "whole", "all"}));
  lw::apps::set_action(cmd, [o] { return run(*o); });
});

}  // namespace
