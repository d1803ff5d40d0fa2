// Writing GGUF files: from an HF directory or from another GGUF file (re-typed or re-quantized),
// architectures llama and chatglm (GLM-4).
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "convert/common.hpp"
#include "convert/convert.hpp"
#include "convert/gguf_tokenizer.hpp"
#include "convert/scheme.hpp"
#include "engine/config.hpp"
#include "engine/gguf_model.hpp"
#include "engine/model.hpp"
#include "engine/params.hpp"
#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace lw::convert {

namespace fs = std::filesystem;
using engine::DType;

namespace {

// Rows of one source tensor (HF row order) to stream into an output tensor of type `out`.
struct Part {
  engine::Tensor t;
  bool permute = false;  // write GGUF row r from HF row hf_row_of_gguf_row(r) (llama q/k)
};

// Streams the parts' rows, converted / quantized to `out`, 64 rows at a time across threads.
io::GgufStreamWriter::Producer rows_producer(std::vector<Part> parts, DType out, int hd, Progress* progress) {
  return [parts = std::move(parts), out, hd, progress](const io::GgufStreamWriter::Sink& sink) {
    for (const Part& p : parts) {
      const engine::Tensor& t = p.t;
      const bool vec = t.shape.size() == 1;
      const int64_t rows = vec ? 1 : t.rows(), cols = vec ? t.numel() : t.cols();
      const size_t in_row = engine::dtype_bytes(t.dtype, cols), out_row = engine::dtype_bytes(out, cols);
      const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(64, (int64_t{1} << 24) / std::max<size_t>(out_row, 1)));
      std::vector<char> buf(static_cast<size_t>(chunk) * out_row);
      for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const int64_t n = std::min(chunk, rows - r0);
#pragma omp parallel if (n > 1 && t.dtype != out)
        {
          std::vector<float> f(static_cast<size_t>(cols));
#pragma omp for schedule(dynamic, 1)
          for (int64_t i = 0; i < n; ++i) {
            const int64_t src = p.permute ? engine::hf_row_of_gguf_row(r0 + i, hd) : r0 + i;
            const char* s = static_cast<const char*>(t.data) + static_cast<size_t>(src) * in_row;
            char* d = buf.data() + static_cast<size_t>(i) * out_row;
            if (t.dtype == out) {
              std::memcpy(d, s, in_row);
            } else {
              engine::to_f32(t.dtype, s, f.data(), cols);
              engine::from_f32(out, f.data(), d, cols);
            }
          }
        }
        sink(std::string_view(buf.data(), static_cast<size_t>(n) * out_row));
        if (progress) progress->add(static_cast<int64_t>(n) * static_cast<int64_t>(out_row));
      }
    }
  };
}

struct WriteResult {
  int tensors = 0;
  size_t bytes = 0;
};

// Adds every tensor of `m` (weights in HF row order) to `w` under GGUF names and types.
WriteResult add_tensors(const engine::Model& m, const Scheme& scheme, io::GgufStreamWriter& w,
                        std::string& notes, Progress* progress) {
  const engine::ModelConfig& cfg = m.config();
  const bool glm = cfg.arch == engine::Arch::glm4;
  WriteResult res;
  std::map<DType, int> type_counts;
  const auto specs = engine::param_specs(cfg);
  for (size_t i = 0; i < specs.size(); ++i) {
    const engine::ParamSpec& spec = specs[i];
    const engine::Tensor t = engine::weight_of(cfg, m.weights(), spec);
    // GLM: q, k, v (and their biases) are written as one fused attn_qkv tensor, at the q slot.
    if (glm && (spec.slot == engine::Slot::wk || spec.slot == engine::Slot::wv || spec.slot == engine::Slot::bk ||
                spec.slot == engine::Slot::bv))
      continue;
    const bool fused = glm && (spec.slot == engine::Slot::wq || spec.slot == engine::Slot::bq);
    std::vector<Part> parts{{t, engine::gguf_rows_permuted(cfg, spec)}};
    std::vector<int64_t> shape = spec.shape;
    if (fused) {
      const bool bias = spec.slot == engine::Slot::bq;
      const engine::LayerWeights& L = m.weights().layers[spec.layer];
      parts.push_back({bias ? L.bk : L.wk});
      parts.push_back({bias ? L.bv : L.wv});
      shape[0] = cfg.q_dim() + 2 * cfg.kv_dim();
      for (const Part& p : parts)
        if (p.t.dtype != t.dtype) fail("q/k/v of layer {} differ in type", spec.layer);
    }
    const DType out = tensor_type(scheme, cfg, spec, fused, t.dtype);
    const std::string name = engine::gguf_place(cfg, spec, fused).tensor;
    w.add_tensor(name, quant::ggml_type(out), shape, rows_producer(std::move(parts), out, cfg.hd, progress));
    res.tensors++;
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    res.bytes += engine::dtype_bytes(out, numel);
    if (shape.size() == 2) type_counts[out]++;
  }
  // Llama 3.1 rope scaling: llama.cpp stores per-frequency divisors as rope_freqs.weight.
  std::vector<float> factors = cfg.rope_freq_factors;
  if (factors.empty() && cfg.rope_scaling.type == "llama3") {
    engine::ModelConfig plain = cfg;
    plain.rope_scaling = {};
    auto base = engine::rope_inv_freq(plain), scaled = engine::rope_inv_freq(cfg);
    for (size_t i = 0; i < base.size(); ++i) factors.push_back(base[i] / scaled[i]);
  }
  if (!factors.empty()) {
    auto keep = std::make_shared<std::vector<float>>(std::move(factors));
    w.add_tensor("rope_freqs.weight", io::GgmlType::f32, {static_cast<int64_t>(keep->size())},
                 [keep](const io::GgufStreamWriter::Sink& sink) {
                   sink(std::string_view(reinterpret_cast<const char*>(keep->data()), keep->size() * 4));
                 });
    res.tensors++;
  }
  std::string mix;
  for (const auto& [d, n] : type_counts) mix += fmt::format("{}{} x {}", mix.empty() ? "" : ", ", n, engine::dtype_name(d));
  notes += fmt::format("matrices: {}\n", mix);
  return res;
}

void check_writable(const engine::ModelConfig& cfg, const fs::path& in, std::string& notes) {
  if (cfg.arch == engine::Arch::llama) {
    if (cfg.rot_dim() != cfg.hd || cfg.qkv_bias)
      fail_input("{}: partial rotary or q/k/v biases have no llama GGUF layout", in.string());
    if (!cfg.rope_scaling.type.empty() && cfg.rope_scaling.type != "linear" && cfg.rope_scaling.type != "llama3")
      fail_input("{}: rope_scaling type '{}' has no GGUF equivalent", in.string(), cfg.rope_scaling.type);
  } else if (cfg.q_dim() != cfg.C) {
    notes += fmt::format("note: n_head x head_dim = {} differs from hidden {}: llama.cpp's chatglm needs them equal\n",
                         cfg.q_dim(), cfg.C);
  }
}

engine::LoadOptions source_options() {
  engine::LoadOptions lo;
  lo.hf_row_order = true;  // the writer permutes llama q/k rows itself
  lo.prefault = false;     // every byte is read once, in order
  return lo;
}

Scheme scheme_of(const ConvertOptions& opts) {
  auto s = parse_scheme(opts.dtype);
  if (!s) fail_input("--dtype {}: expected one of {}", opts.dtype, scheme_names());
  return *s;
}

uint32_t file_type_of(const Scheme& s, const engine::Model& m) {
  if (!s.keep) return s.file_type;
  switch (m.weights().tok_embd.dtype) {
    case DType::f32: return 0;
    case DType::f16: return 1;
    case DType::bf16: return 32;
    default: return 7;  // mostly quantized: the exact mix is per tensor
  }
}

// The GGUF of model `m` (loaded from `in`) under `scheme`; `add_tokenizer` adds tokenizer.* keys.
ConvertReport write_model_gguf(const engine::Model& m, const fs::path& in, const fs::path& out, const Scheme& scheme,
                               const std::string& name,
                               const std::function<bool(io::GgufStreamWriter&, std::string&)>& add_tokenizer) {
  const engine::ModelConfig& cfg = m.config();
  ConvertReport rep;
  check_writable(cfg, in, rep.notes);
  io::GgufStreamWriter w;
  w.set_string("general.architecture", engine::gguf_arch_name(cfg));
  w.set_string("general.name", name);
  engine::write_gguf_config(cfg, w);
  w.set_u32("general.file_type", file_type_of(scheme, m));
  w.set_u32("general.quantization_version", 2);
  Progress progress("convert", 0, "B");
  const WriteResult r = add_tensors(m, scheme, w, rep.notes, &progress);
  progress.set_total(static_cast<int64_t>(r.bytes));
  rep.tensors = r.tensors;
  rep.bytes = r.bytes;
  if (add_tokenizer) rep.tokenizer = add_tokenizer(w, rep.notes);
  w.write(out);
  progress.finish();
  return rep;
}

}  // namespace

ConvertReport convert_hf_to_gguf(const fs::path& in, const fs::path& out, const ConvertOptions& opts) {
  if (!fs::is_directory(in)) fail_input("{}: expected an HF model directory (config.json + safetensors)", in.string());
  const Scheme scheme = scheme_of(opts);
  auto m = engine::load_model(in, source_options());
  std::function<bool(io::GgufStreamWriter&, std::string&)> tok;
  if (opts.tokenizer)
    tok = [&](io::GgufStreamWriter& w, std::string& notes) { return add_hf_tokenizer_to_gguf(in, m->config(), w, notes); };
  return write_model_gguf(*m, in, out, scheme, opts.name.empty() ? model_name_of(in) : opts.name, tok);
}

ConvertReport convert_gguf_to_gguf(const fs::path& in, const fs::path& out, const ConvertOptions& opts) {
  if (!fs::is_regular_file(in)) fail_input("{}: expected a .gguf file", in.string());
  if (fs::exists(out) && fs::equivalent(in, out)) fail_input("{}: input and output are the same file", out.string());
  const Scheme scheme = scheme_of(opts);
  auto m = engine::load_model(in, source_options());
  const auto src = io::GgufFile::open(in);
  std::function<bool(io::GgufStreamWriter&, std::string&)> tok;
  if (opts.tokenizer) tok = [&](io::GgufStreamWriter& w, std::string& notes) { return copy_gguf_tokenizer(src, w, notes); };
  const std::string name = opts.name.empty() ? src.get_string_opt("general.name").value_or(model_name_of(in)) : opts.name;
  return write_model_gguf(*m, in, out, scheme, name, tok);
}

}  // namespace lw::convert
