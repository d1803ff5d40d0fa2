// Loading a GGUF model: every tensor mapped in place in its storage type where possible.
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "engine/gguf_model.hpp"
#include "io/gguf.hpp"
#include "io/prefault.hpp"
#include "kernels/table.hpp"
#include "quant/repack.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::engine {

namespace fs = std::filesystem;

namespace {

DType tensor_dtype(const io::GgufFile& f, const io::GgufTensorInfo& t) {
  auto d = quant::dtype_from_ggml(static_cast<uint32_t>(t.type));
  if (!d)
    fail_input("{}: tensor {} has type {} (GGUF type {}); supported: {}", f.name(), t.name,
               io::ggml_type_name(t.type), static_cast<uint32_t>(t.type), quant::supported_dtype_list());
  return *d;
}

// A buffer for weights the decode streams (the repacked copies): 2 MiB aligned and advised to
// transparent huge pages, so a step's walk through hundreds of MB does not miss the TLB every 4 KB
// (the file mapping it replaces is the page cache's 4 KB pages).
std::shared_ptr<void> alloc_weight_buffer(size_t bytes) {
  constexpr size_t kHuge = size_t{2} << 20;
  if (bytes < kHuge) return alloc_buffer(bytes);
  const size_t n = (bytes + kHuge - 1) / kHuge * kHuge;
  void* p = std::aligned_alloc(kHuge, n);
  if (!p) fail("out of memory allocating {} bytes", bytes);
  ::madvise(p, n, MADV_HUGEPAGE);  // advice only: without THP it is 4 KB pages as before
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

bool repack_enabled(const LoadOptions& opts) {
  if (!opts.repack || opts.hf_row_order) return false;
  const char* env = std::getenv("LW_REPACK");
  return !(env && std::string_view(env) == "0");
}

// A q4_k / q6_k / q8_0 matrix of at least one 16-row group whose repacked type has kernels at this level.
bool repackable(const Tensor& t) {
  const auto xt = quant::x16_of(t.dtype);
  return xt && t.shape.size() == 2 && t.rows() >= quant::kX16Rows && !kernels::kernels().of(*xt).unrepacks;
}

}  // namespace

std::unique_ptr<Model> load_gguf_model(const fs::path& path, const LoadOptions& opts) {
  auto file = std::make_shared<io::GgufFile>(io::GgufFile::open(path));
  const io::GgufFile& f = *file;
  ModelConfig cfg = config_from_gguf(f);
  if (opts.max_context > 0) cfg.max_context = opts.max_context;
  const bool fused_qkv = f.find_tensor("blk.0.attn_qkv.weight") != nullptr;
  // llama q/k stay in the file's adjacent-pair order unless HF order is asked for (see header).
  const bool keep_gguf_order = cfg.arch == Arch::llama && !opts.hf_row_order;
  std::vector<std::shared_ptr<void>> storage{file};
  ModelWeights w = bind_weights(cfg, [&](const ParamSpec& spec) -> Tensor {
    const GgufPlace place = gguf_place(cfg, spec, fused_qkv);
    const io::GgufTensorInfo* ti = f.find_tensor(place.tensor);
    if (!ti)
      fail_input("{}: tensor {} not found (expected shape {} for {})", f.name(), place.tensor,
                 shape_str(spec.shape), spec.name);
    std::vector<int64_t> shape(ti->dims.rbegin(), ti->dims.rend());  // outermost first
    const DType dt = tensor_dtype(f, *ti);
    const auto& tr = quant::traits(dt);
    if (shape.back() % tr.block != 0)
      fail_input("{}: tensor {}: {} blocks of {} elements do not divide its rows of {}", f.name(), ti->name,
                 tr.name, tr.block, shape.back());
    Tensor t{dt, const_cast<std::byte*>(ti->data.data()), shape};
    if (place.rows >= 0) {
      if (shape[0] < place.row0 + place.rows)
        fail_input("{}: tensor {} has shape {}, too small for the q/k/v split ({} + 2 x {} rows)", f.name(),
                   ti->name, shape_str(shape), cfg.q_dim(), cfg.kv_dim());
      if (shape.size() == 2) {
        t = t.row_slice(place.row0, place.rows);
      } else {
        t.data = static_cast<char*>(t.data) + dtype_bytes(dt, place.row0);
        t.shape = {place.rows};
      }
    }
    if (t.shape != spec.shape)
      fail_input("{}: tensor {} has shape {}, expected {}", f.name(), ti->name, shape_str(t.shape),
                 shape_str(spec.shape));
    const bool small = spec.role == ParamRole::norm || spec.role == ParamRole::bias;
    const bool permute = gguf_rows_permuted(cfg, spec) && !keep_gguf_order;
    DType want = dt;
    if (small || opts.convert == LoadOptions::Convert::f32)
      want = DType::f32;
    else if (opts.convert == LoadOptions::Convert::bf16)
      want = DType::bf16;
    const bool matrix = spec.role == ParamRole::linear || spec.role == ParamRole::lm_head ||
                        (spec.role == ParamRole::embedding && cfg.tie_word_embeddings);
    if (want == dt && !permute && matrix && repack_enabled(opts) && repackable(t)) {
      const DType xt = *quant::x16_of(dt);
      auto buf = alloc_weight_buffer(t.nbytes());
      storage.push_back(buf);
      quant::repack_x16(dt, t.data, buf.get(), t.rows(), t.cols());
      return Tensor{xt, buf.get(), spec.shape};
    }
    if (want == dt && !permute) {
      if (opts.prefault) io::prefault(t.data, t.nbytes());  // used in place from the mapping: fault it in now
      return t;
    }
    const int64_t rows = small ? 1 : t.rows(), cols = small ? t.numel() : t.cols();
    auto buf = alloc_buffer(dtype_bytes(want, t.numel()));
    storage.push_back(buf);
    std::vector<float> row(static_cast<size_t>(cols));
    const size_t in_row = dtype_bytes(dt, cols), out_row = dtype_bytes(want, cols);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t src = permute ? gguf_row_of_hf_row(r, cfg.hd) : r;
      const char* s = static_cast<const char*>(t.data) + src * in_row;
      char* d = static_cast<char*>(buf.get()) + r * out_row;
      if (want == dt) {
        std::memcpy(d, s, in_row);
      } else {
        to_f32(dt, s, row.data(), cols);
        from_f32(want, row.data(), d, cols);
      }
    }
    return Tensor{want, buf.get(), spec.shape};
  });
  if (keep_gguf_order) cfg.rope_interleaved = true;
  auto m = std::make_unique<Model>(cfg, std::move(w), std::move(storage), path.string());
  log::debug("loaded {}", m->describe());
  return m;
}

}  // namespace lw::engine
