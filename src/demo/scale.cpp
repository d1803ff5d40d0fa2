#include "demo/scale.hpp"

namespace lw::demo {

nlohmann::json DemoScale::to_json() const {
  return {{"name", name},
          {"min_words", min_words},
          {"short_cap", short_cap},
          {"long_cap", long_cap},
          {"n_short", n_short},
          {"n_long", n_long},
          {"n_plan", n_plan},
          {"plan_step_words", plan_step_words},
          {"plan_max_words", plan_max_words},
          {"vocab_size", vocab_size},
          {"hidden", hidden},
          {"layers", layers},
          {"heads", heads},
          {"kv_heads", kv_heads},
          {"ffn", ffn},
          {"max_len", max_len},
          {"capped_max_len", capped_max_len},
          {"long_round_to", long_round_to},
          {"epochs", epochs},
          {"capped_epochs", capped_epochs},
          {"packs_per_step", packs_per_step},
          {"lr", lr},
          {"ruler_lengths", ruler_lengths},
          {"per_length", per_length},
          {"write_targets", write_targets}};
}

DemoScale full_scale() {
  DemoScale s;
  s.name = "full";
  s.min_words = 50;
  s.short_cap = 300;
  s.long_cap = 3000;
  s.n_short = 400;
  s.n_long = 300;
  s.long_round_to = 100;
  s.n_plan = 800;
  s.plan_step_words = 200;
  s.plan_max_words = 4000;
  s.vocab_size = 1024;
  s.hidden = 96;
  s.layers = 3;
  s.heads = 4;
  s.kv_heads = 2;
  s.ffn = 256;
  s.max_len = 4096;
  s.capped_max_len = 1024;
  s.epochs = 10;
  s.capped_epochs = 12;
  s.packs_per_step = 1;
  s.lr = 3e-3;
  s.ruler_lengths = {100, 300, 1000, 2000, 4000};
  s.per_length = 6;
  s.write_targets = {2000, 4000};
  return s;
}

DemoScale quick_scale() {
  DemoScale s;
  s.name = "quick";
  s.min_words = 50;
  s.short_cap = 100;
  s.long_cap = 400;
  s.n_short = 150;
  s.n_long = 300;
  s.n_plan = 150;
  s.plan_step_words = 100;
  s.plan_max_words = 800;
  s.vocab_size = 640;
  s.hidden = 64;
  s.layers = 2;
  s.heads = 4;
  s.kv_heads = 2;
  s.ffn = 176;
  s.max_len = 768;
  s.capped_max_len = 768;
  s.epochs = 8;
  s.capped_epochs = 24;
  s.packs_per_step = 1;
  s.lr = 3e-3;
  s.ruler_lengths = {50, 100, 200, 400};  // 400: 4x the capped set's cap, inside the long set's range
  s.per_length = 8;
  s.write_targets = {400};
  return s;
}

}  // namespace lw::demo
