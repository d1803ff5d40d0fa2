#include "convert/scheme.hpp"

namespace lw::convert {

using quant::DType;

namespace {

struct Named {
  const char* name;
  DType base;
  Scheme::Mix mix;
  uint32_t file_type;
};

const Named kSchemes[] = {
    {"f32", DType::f32, Scheme::Mix::none, 0},       {"f16", DType::f16, Scheme::Mix::none, 1},
    {"bf16", DType::bf16, Scheme::Mix::none, 32},    {"q8_0", DType::q8_0, Scheme::Mix::none, 7},
    {"q4_0", DType::q4_0, Scheme::Mix::none, 2},     {"q4_1", DType::q4_1, Scheme::Mix::none, 3},
    {"q5_0", DType::q5_0, Scheme::Mix::none, 8},     {"q5_1", DType::q5_1, Scheme::Mix::none, 9},
    {"q2_k", DType::q2_k, Scheme::Mix::none, 10},    {"q3_k", DType::q3_k, Scheme::Mix::none, 11},
    {"q4_k", DType::q4_k, Scheme::Mix::none, 14},    {"q5_k", DType::q5_k, Scheme::Mix::none, 16},
    {"q6_k", DType::q6_k, Scheme::Mix::none, 18},    {"iq4_nl", DType::iq4_nl, Scheme::Mix::none, 25},
    {"iq4_xs", DType::iq4_xs, Scheme::Mix::none, 30}, {"q4_k_m", DType::q4_k, Scheme::Mix::k_m, 15},
    {"q4_k_s", DType::q4_k, Scheme::Mix::k_s, 14},   {"q5_k_m", DType::q5_k, Scheme::Mix::k_m, 17},
    {"q5_k_s", DType::q5_k, Scheme::Mix::k_s, 16},
};

bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// llama.cpp's fallback when a type's blocks do not divide the rows.
DType fit_rows(DType t, int64_t cols) {
  auto fits = [&](DType d) { return cols % quant::traits(d).block == 0; };
  if (fits(t)) return t;
  switch (t) {
    case DType::q4_k: t = DType::q5_0; break;
    case DType::q5_k: t = DType::q5_1; break;
    case DType::q6_k: t = DType::q8_0; break;
    case DType::q2_k:
    case DType::q3_k:
    case DType::iq4_xs: t = DType::iq4_nl; break;
    default: break;
  }
  return fits(t) ? t : DType::f16;
}

}  // namespace

std::optional<Scheme> parse_scheme(const std::string& name) {
  if (name == "keep" || name.empty()) return Scheme{"keep", true, DType::f32, Scheme::Mix::none, 0};
  for (const auto& s : kSchemes)
    if (name == s.name) return Scheme{s.name, false, s.base, s.mix, s.file_type};
  return std::nullopt;
}

std::string scheme_names() {
  std::string out = "keep";
  for (const auto& s : kSchemes) out += std::string(", ") + s.name;
  return out;
}

DType tensor_type(const Scheme& s, const engine::ModelConfig& c, const engine::ParamSpec& spec, bool fused_qkv,
                  DType in) {
  using engine::Slot;
  if (spec.role == engine::ParamRole::norm || spec.role == engine::ParamRole::bias) return DType::f32;
  if (s.keep) return in;
  const int64_t cols = spec.shape.back();
  const DType base = s.base;
  if (!quant::traits(base).quantized) return base;
  const bool output = spec.slot == Slot::lm_head || (spec.slot == Slot::embed && c.tie_word_embeddings);
  DType t = base;
  if (output) {
    if (cols % quant::traits(base).block != 0) return DType::q8_0;
    return base == DType::q8_0 ? DType::q8_0 : DType::q6_k;
  }
  const int i = spec.layer, n = c.n_layer;
  if (fused_qkv && spec.slot == Slot::wq) {
    if (s.mix == Scheme::Mix::k_m) t = base == DType::q4_k ? DType::q5_k : DType::q6_k;
  } else if (spec.slot == Slot::wv) {
    if (s.mix == Scheme::Mix::k_m && use_more_bits(i, n)) t = DType::q6_k;
    else if (s.mix == Scheme::Mix::k_s && base == DType::q4_k && i < 4) t = DType::q5_k;
  } else if (spec.slot == Slot::w_down) {
    if (s.mix == Scheme::Mix::k_m && use_more_bits(i, n)) t = DType::q6_k;
    else if (s.mix == Scheme::Mix::k_s && base == DType::q4_k && i < n / 8) t = DType::q5_k;
  }
  return fit_rows(t, cols);
}

}  // namespace lw::convert
