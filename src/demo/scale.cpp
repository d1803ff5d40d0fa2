#include "demo/scale.hpp"

namespace lw::demo {

nlohmann::json DemoScale::to_json() const {
  return {{"name", name},         {"min_words", min_words},   {"short_cap", short_cap},
          {"long_cap", long_cap}, {"n_short", n_short},       {"n_long", n_long},
          {"n_plan", n_plan}, {"long_round_to", long_round_to},     {"vocab_size", vocab_size}, {"hidden", hidden},
          {"layers", layers},     {"heads", heads},           {"kv_heads", kv_heads},
          {"ffn", ffn},           {"max_len", max_len},       {"epochs", epochs},
          {"packs_per_step", packs_per_step}, {"lr", lr},     {"ruler_lengths", ruler_lengths},
          {"per_length", per_length}, {"write_target", write_target}};
}

DemoScale full_scale() {
  DemoScale s;
  s.name = "full";
  s.min_words = 30;
  s.short_cap = 300;
  s.long_cap = 3000;
  s.n_short = 400;
  s.n_long = 450;
  s.long_round_to = 100;
  s.n_plan = 150;
  s.vocab_size = 1024;
  s.hidden = 128;
  s.layers = 4;
  s.heads = 4;
  s.kv_heads = 2;
  s.ffn = 352;
  s.max_len = 4096;
  s.epochs = 4;
  s.packs_per_step = 1;
  s.lr = 3e-3;
  s.ruler_lengths = {100, 300, 1000, 2000, 4000};
  s.per_length = 6;
  s.write_target = 2000;
  return s;
}

DemoScale quick_scale() {
  DemoScale s;
  s.name = "quick";
  s.min_words = 20;
  s.short_cap = 60;
  s.long_cap = 360;
  s.n_short = 150;
  s.n_long = 360;
  s.long_round_to = 50;
  s.n_plan = 40;
  s.vocab_size = 640;
  s.hidden = 64;
  s.layers = 2;
  s.heads = 4;
  s.kv_heads = 2;
  s.ffn = 176;
  s.max_len = 768;
  s.epochs = 8;
  s.packs_per_step = 1;
  s.lr = 3e-3;
  s.ruler_lengths = {50, 150, 300};  // 300: 5x the capped set's cap, inside the long set's range
  s.per_length = 12;  // sampled lengths vary a lot; 12 per L keeps the means steady
  s.write_target = 300;
  return s;
}

}  // namespace lw::demo
