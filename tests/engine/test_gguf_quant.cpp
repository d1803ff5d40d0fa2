// Quantized GGUF files written by llama.cpp's llama-quantize (12 types and mixes, from one random
// Llama; tests/fixtures/gguf-quant/README.md) and by our own quantizer: logits within 3e-2 of a
// float64 reference run on the dequantized weights, at every CPU level this machine supports; the
// reference's greedy tokens; and the greedy tokens llama.cpp itself decoded from the same files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "convert/convert.hpp"
#include "cpu/features.hpp"
#include "data/sha256.hpp"
#include "engine/model.hpp"
#include "engine_test_util.hpp"
#include "kernels/table.hpp"
#include "quant/repack.hpp"
#include "support/ref_forward.hpp"

using namespace lw;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(LW_TEST_DATA_DIR) / "gguf-quant";

struct LlamaCppRun {
  std::vector<int32_t> tokens;
  std::vector<float> logits;  // last prompt position
};

// llama_cpp_greedy.txt: "# prompt: ids", then per file "NAME tokens ids" and "NAME logits values".
std::map<std::string, LlamaCppRun> llama_cpp_runs(std::vector<int32_t>& prompt,
                                                  const std::string& file = "llama_cpp_greedy.txt") {
  std::ifstream f(kDir / file);
  std::map<std::string, LlamaCppRun> out;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ls(line);
    std::string name, kind;
    ls >> name;
    if (name == "#") {
      ls >> kind;
      int32_t v;
      while (ls >> v) prompt.push_back(v);
      continue;
    }
    ls >> kind;
    if (kind == "tokens") {
      int32_t v;
      while (ls >> v) out[name].tokens.push_back(v);
    } else {
      float v;
      while (ls >> v) out[name].logits.push_back(v);
    }
  }
  return out;
}

// Our logits (prompt, then one decode step per token of `cont` through the KV cache) and our
// free-running greedy continuation of n tokens.
std::vector<float> forced_logits(const engine::Model& m, const std::vector<int32_t>& prompt,
                                 const std::vector<int32_t>& cont) {
  engine::KvCache cache(m.config(), 1, 256, engine::DType::f32);
  engine::Workspace ws;
  std::vector<float> all, step;
  engine::forward(m, engine::Batch::single(prompt, 0, true), &cache, ws, all);
  const int slot = 0;
  for (int32_t t : cont) {
    engine::forward(m, engine::Batch::decode(std::span(&t, 1), std::span(&slot, 1)), &cache, ws, step);
    all.insert(all.end(), step.begin(), step.end());
  }
  return all;
}

std::vector<int32_t> greedy(const engine::Model& m, const std::vector<int32_t>& prompt, int n) {
  engine::KvCache cache(m.config(), 1, 256, engine::DType::f32);
  engine::Workspace ws;
  std::vector<float> last;
  engine::forward(m, engine::Batch::single(prompt), &cache, ws, last);
  std::vector<int32_t> out;
  const int slot = 0;
  for (int s = 0; s < n; ++s) {
    out.push_back(static_cast<int32_t>(std::max_element(last.begin(), last.end()) - last.begin()));
    engine::forward(m, engine::Batch::decode(std::span(&out.back(), 1), std::span(&slot, 1)), &cache, ws,
                    last);
  }
  return out;
}

// Logits: max |ours - reference| / max |reference|. The issue asks for 3e-2; we hold ourselves to
// half of it (measured: at most 0.9e-2 on these files).
constexpr double kTol = 1.5e-2;

// The float64 reference's own greedy continuation, and for each step whether its choice is
// decisive: the lead of its top logit over the runner-up exceeds twice the tolerated error, so any
// implementation within tolerance must make the same choice.
struct RefGreedy {
  std::vector<int32_t> tokens;
  std::vector<bool> decisive;
  int decisive_prefix() const {
    int k = 0;
    while (k < static_cast<int>(decisive.size()) && decisive[k]) ++k;
    return k;
  }
};

RefGreedy ref_greedy(const engine::Model& m, const std::vector<int32_t>& prompt, int n, double scale,
                     double tol) {
  RefGreedy g;
  lw::testing::RefRunner run(m);
  std::vector<double> row;
  for (int32_t id : prompt) row = run.feed(id);
  for (int s = 0; s < n; ++s) {
    const int best = static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
    const double top = row[best];
    row[best] = -1e300;
    g.tokens.push_back(best);
    g.decisive.push_back(top - *std::max_element(row.begin(), row.end()) > 2 * tol * scale);
    row = run.feed(best);
  }
  return g;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// Checks `file` against the float64 reference at every CPU level, and against llama.cpp's run.
// Returns the number of decisive greedy steps compared.
int check_file(const fs::path& file, const std::vector<int32_t>& prompt, const LlamaCppRun& llama,
               double tol = kTol) {
  const std::string name = file.filename().string();
  auto m = engine::load_model(file);
  const int V = m->config().V, n = static_cast<int>(llama.tokens.size()), P = static_cast<int>(prompt.size());
  // The reference's greedy path, and its logits along that path (prompt + its 16 tokens).
  double scale = max_abs(lw::testing::ref_logits(*m, prompt));
  const RefGreedy rg = ref_greedy(*m, prompt, n, scale, tol);
  std::vector<int32_t> seq = prompt;
  seq.insert(seq.end(), rg.tokens.begin(), rg.tokens.end());
  const auto ref = lw::testing::ref_logits(*m, seq);
  scale = max_abs(ref);
  int decisive = 0;
  for (bool d : rg.decisive) decisive += d;
  for (auto level : cpu::supported_levels()) {
    cpu::ScopedLevel scoped(level);
    // teacher-forced along the reference's path: logits everywhere, greedy choices where decisive
    const auto ours = forced_logits(*m, prompt, rg.tokens);
    EXPECT_EQ(ours.size(), ref.size());
    if (ours.size() != ref.size()) return 0;
    double err = 0;
    for (size_t i = 0; i < ours.size(); ++i) err = std::max(err, std::fabs(ours[i] - ref[i]));
    EXPECT_LT(err / scale, tol) << name << " at " << cpu::level_name(level);
    ::testing::Test::RecordProperty(name + "_" + cpu::level_name(level) + "_rel_err",
                                    std::to_string(err / scale));
    for (int s = 0; s < n; ++s) {
      if (!rg.decisive[s]) continue;
      const auto row = ours.begin() + static_cast<size_t>(P - 1 + s) * V;
      EXPECT_EQ(std::max_element(row, row + V) - row, rg.tokens[s])
          << name << " " << cpu::level_name(level) << " step " << s;
    }
    // free-running, through generate's own path: the same tokens until the first near-tie
    const auto tokens = greedy(*m, prompt, n);
    for (int s = 0; s < rg.decisive_prefix(); ++s)
      EXPECT_EQ(tokens[s], rg.tokens[s]) << name << " at " << cpu::level_name(level) << " step " << s;
  }
  // llama.cpp on the same file: its logits at the last prompt position, its greedy tokens over the
  // reference's decisive prefix.
  const auto ours = forced_logits(*m, prompt, {});
  double e2 = 0;
  for (int v = 0; v < V; ++v)
    e2 = std::max(e2,
                  static_cast<double>(std::fabs(ours[static_cast<size_t>(P - 1) * V + v] - llama.logits[v])));
  EXPECT_LT(e2 / scale, tol) << name << " vs llama.cpp";
  for (int s = 0; s < rg.decisive_prefix(); ++s)
    EXPECT_EQ(llama.tokens[s], rg.tokens[s]) << name << " llama.cpp step " << s;
  return decisive;
}

}  // namespace

TEST(GgufQuant, LlamaQuantizeFilesMatchTheFloat64ReferenceAndLlamaCpp) {
  std::vector<int32_t> prompt;
  const auto runs = llama_cpp_runs(prompt);
  ASSERT_EQ(prompt.size(), 24u);
  int files = 0, decisive = 0;
  for (const auto& [name, run] : runs) {
    if (!name.starts_with("tiny-")) continue;
    ASSERT_EQ(run.tokens.size(), 16u) << name;
    decisive += check_file(kDir / name, prompt, run);
    ++files;
  }
  EXPECT_EQ(files, 13);  // f32 and the 12 quantized files
  ::testing::Test::RecordProperty("decisive_greedy_steps", decisive);
  EXPECT_GE(decisive, 13 * 16 / 2);  // the greedy comparison covers a real share of the steps
}

TEST(GgufQuant, MixesHoldTheTypesLlamaCppAssigns) {
  engine::LoadOptions keep;
  keep.repack = false;  // the file's types (repacking: RepackedWeightsGiveTheFileTypesLogits)
  auto m = engine::load_model(kDir / "tiny-q4_k_m.gguf", keep);
  const auto& L0 = m->weights().layers[0];
  const auto& L1 = m->weights().layers[1];
  EXPECT_EQ(L0.wq.dtype, engine::DType::q4_k);
  EXPECT_EQ(L0.wv.dtype, engine::DType::q4_k);
  EXPECT_EQ(L1.wv.dtype, engine::DType::q6_k);  // use_more_bits(1, 2)
  EXPECT_EQ(L1.w_down.dtype, engine::DType::q6_k);
  EXPECT_EQ(m->weights().lm_head.dtype, engine::DType::q6_k);
  auto x = engine::load_model(kDir / "tiny-iq4_xs.gguf");
  EXPECT_EQ(x->weights().layers[0].w_up.dtype, engine::DType::iq4_xs);
}

// The loader repacks q4_k / q6_k / q8_0 matrices into their 16-row interleaved types where the level has
// their kernels (quant/repack.hpp): the same logits as the file's layout, through decode (matvec of
// 1..16 rows) and prefill (the GEMM from 48 rows, or more matrix-vector calls); LW_REPACK=0 and
// LoadOptions::repack turn it off.
TEST(GgufQuant, RepackedWeightsGiveTheFileTypesLogits) {
  std::vector<int32_t> prompt;
  llama_cpp_runs(prompt);
  std::vector<int32_t> longp;  // 72 tokens: the prefill GEMM
  for (int i = 0; i < 3; ++i) longp.insert(longp.end(), prompt.begin(), prompt.end());
  const std::vector<int32_t> cont = {5, 77, 130, 9};
  const bool native = !kernels::kernels().of(engine::DType::q4_k_x16).unrepacks;
  // Below avx512_vnni the repacked prefill runs the matrix-vector kernels (engine/matmul.cpp's
  // gemm_min_rows) where the file's layout runs the GEMM: the same 8-bit arithmetic summed in another
  // order, whose rounding can move a later layer's 8-bit activation by one step (measured 1.9e-3).
  const bool vnni = cpu::implies(kernels::kernels().level, cpu::Level::avx512_vnni);
  for (const char* name : {"tiny-q4_k_m.gguf", "tiny-q6_k.gguf", "tiny-q8_0.gguf"}) {
    engine::LoadOptions off;
    off.repack = false;
    auto a = engine::load_model(kDir / name, off);
    auto b = engine::load_model(kDir / name);
    const auto& w = b->weights();
    EXPECT_EQ(quant::is_x16(w.layers[1].w_down.dtype), native) << name;
    EXPECT_EQ(quant::is_x16(w.lm_head.dtype), native) << name;
    EXPECT_FALSE(quant::is_x16(a->weights().layers[1].w_down.dtype)) << name;
    for (const auto& p : {prompt, longp}) {
      const auto la = forced_logits(*a, p, cont), lb = forced_logits(*b, p, cont);
      ASSERT_EQ(la.size(), lb.size());
      double scale = 0, err = 0;
      for (size_t i = 0; i < la.size(); ++i) {
        scale = std::max(scale, std::fabs(static_cast<double>(la[i])));
        err = std::max(err, std::fabs(static_cast<double>(la[i]) - lb[i]));
      }
      EXPECT_LE(err, (p.size() >= 48 && !vnni ? 5e-3 : 1e-4) * scale) << name << " prompt " << p.size();
    }
  }
  ::setenv("LW_REPACK", "0", 1);
  auto c = engine::load_model(kDir / "tiny-q6_k.gguf");
  ::unsetenv("LW_REPACK");
  EXPECT_EQ(c->weights().lm_head.dtype, engine::DType::q6_k);
}

TEST(GgufQuant, OurQuantizerWritesFilesLlamaCppDecodesLikeUs) {
  // Our quantization of the same f32 file; llama.cpp's greedy tokens on these exact bytes were
  // recorded (the hashes below pin the bytes: re-record both if the quantizer changes).
  const std::map<std::string, std::string> sha = {
      {"q8_0", "6effbe3bf916733d91278be921cb9b52b2e042e9381aef823459c26724570628"},
      {"q4_0", "fd2b3a1c9ab3aaa0366305e5b9cac7889e37bb379cdefbc5c4c8c808dbfb617e"},
      {"q4_k_m", "23f6fc8589c919c2d36ee9d0d76256cca92d815d80c342684bb891839dad94a4"},
      {"q5_k_m", "7d032879ff1ca80da6e2b4f0a2b6711a72f2d343c5a8f32c88b39c13b4ab315e"},
      {"q6_k", "b3fd3d368ae63fa4425d6367dc261ab7c0b19298f4b56172f722fb18d339f18e"},
  };
  std::vector<int32_t> prompt;
  const auto runs = llama_cpp_runs(prompt);
  const fs::path tmp = engine::testing::unique_tmp("ours-quant");
  int decisive = 0;
  fs::create_directories(tmp);
  for (const auto& [scheme, hash] : sha) {
    const fs::path out = tmp / ("ours-" + scheme + ".gguf");
    convert::ConvertOptions o;
    o.dtype = scheme;
    convert::convert_gguf_to_gguf(kDir / "tiny-f32.gguf", out, o);
    ASSERT_EQ(data::sha256_file(out), hash) << scheme;
    decisive += check_file(out, prompt, runs.at(out.filename().string()));
  }
  ::testing::Test::RecordProperty("decisive_greedy_steps", decisive);
  EXPECT_GE(decisive, 5 * 16 / 2);
}

TEST(GgufQuant, Glm4GgufWeWriteLoadsInLlamaCppAndDecodesLikeUs) {
  // The golden GLM-4 (transformers' GlmForCausalLM, tests/fixtures/golden) written as llama.cpp's
  // chatglm GGUF (fused attn_qkv with bias, fused ffn_up, half-head interleaved rotary).
  const std::map<std::string, std::string> sha = {
      {"f32", "833adb26df05b4311d902fe5d20f5307467fe162cad423992766ec35fc6766dd"},
      {"q8_0", "089b4bd9c792609a380294b82d7bf35c5892b33a68e56962f9665815c14b7e87"},
  };
  const fs::path golden = fs::path(LW_TEST_DATA_DIR) / "golden/glm4-tiny";
  std::vector<int32_t> prompt;
  const auto runs = llama_cpp_runs(prompt, "glm4_llama_cpp_greedy.txt");
  const fs::path tmp = engine::testing::unique_tmp("glm4-gguf");
  fs::create_directories(tmp);
  auto st = engine::load_model(golden);
  for (const auto& [scheme, hash] : sha) {
    const fs::path out = tmp / ("glm4-tiny-" + scheme + ".gguf");
    convert::ConvertOptions o;
    o.dtype = scheme;
    convert::convert_hf_to_gguf(golden, out, o);
    ASSERT_EQ(data::sha256_file(out), hash) << scheme;
    // hidden 64: two 32-element blocks per row, so the 8-bit activations cost more here (2e-2)
    check_file(out, prompt, runs.at(out.filename().string()), 3e-2);
    if (scheme == "f32") {  // the same weights as the safetensors: the same logits
      auto g = engine::load_model(out);
      EXPECT_EQ(g->config().arch, engine::Arch::glm4);
      EXPECT_TRUE(g->config().qkv_bias);
      EXPECT_EQ(g->config().rot_dim(), 8);
      const auto a = forced_logits(*st, prompt, {}), b = forced_logits(*g, prompt, {});
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5f) << i;
    }
  }
}
