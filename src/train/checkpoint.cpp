// Training model I/O and checkpoints (see checkpoint.hpp).
#include "train/checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/model.hpp"
#include "engine/save.hpp"
#include "io/atomic_dir.hpp"
#include "io/dir_manifest.hpp"
#include "io/file.hpp"
#include "io/json_read.hpp"
#include "io/safetensors.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace fs = std::filesystem;

namespace lw::train {

namespace {

// The engine tensor(s) backing one parameter spec of a loaded model.
std::vector<engine::Tensor> tensors_for(const engine::ModelWeights& w, const engine::ParamSpec& s) {
  std::vector<engine::Tensor> out;
  engine::visit_slot(w, s, [&](const engine::Tensor& t, int) { out.push_back(t); });
  return out;
}

bool same_dims(const engine::ModelConfig& a, const engine::ModelConfig& b) {
  return a.arch == b.arch && a.V == b.V && a.C == b.C && a.n_layer == b.n_layer &&
         a.n_head == b.n_head && a.n_kv_head == b.n_kv_head && a.hd == b.hd && a.ffn == b.ffn &&
         a.tie_word_embeddings == b.tie_word_embeddings && a.qkv_bias == b.qkv_bias;
}

void add_params(io::SafetensorsWriter& w, TrainModel<float>& m) {
  for (size_t i = 0; i < m.specs().size(); i++) {
    const auto& s = m.specs()[i];
    w.add_ref(s.name, io::StDType::F32, s.shape, m.params.data() + m.offsets()[i],
              sizeof(float) * s.numel());
  }
}

void read_params(const io::SafetensorsReader& r, TrainModel<float>& m) {
  for (size_t i = 0; i < m.specs().size(); i++) {
    const auto& s = m.specs()[i];
    const auto& t = r.get(s.name, s.shape);
    if (t.dtype != io::StDType::F32) fail_input("{}: {} must be F32 in a checkpoint", t.file, s.name);
    std::memcpy(m.params.data() + m.offsets()[i], t.data, t.nbytes);
  }
}

}  // namespace

void load_weights(TrainModel<float>& m, const fs::path& path) {
  engine::LoadOptions lo;
  lo.convert = engine::LoadOptions::Convert::f32;
  lo.hf_row_order = true;  // the trainer's layers and saved checkpoints use HF's q/k row order
  auto em = engine::load_model(path, lo);
  if (!same_dims(em->config(), m.config()))
    fail_input("{}: model dimensions differ from the training config", path.string());
  for (size_t i = 0; i < m.specs().size(); i++) {
    const auto& s = m.specs()[i];
    float* dst = m.params.data() + m.offsets()[i];
    int64_t done = 0;
    for (const engine::Tensor& t : tensors_for(em->weights(), s)) {
      if (t.empty()) fail_input("{}: tensor {} missing", path.string(), s.name);
      engine::to_f32(t.dtype, t.data, dst + done, t.numel());
      done += t.numel();
    }
    LW_CHECK(done == s.numel(), "load_weights: {} has {} elements, expected {}", s.name, done, s.numel());
  }
}

void save_model_dir(TrainModel<float>& m, const fs::path& dir,
                    const std::optional<fs::path>& tokenizer_from) {
  fs::create_directories(dir);
  engine::ModelWeights w = engine::bind_weights(m.config(), [&](const engine::ParamSpec& s) {
    for (size_t i = 0; i < m.specs().size(); i++)
      if (m.specs()[i].name == s.name)
        return engine::Tensor::of(m.params.data() + m.offsets()[i], s.shape);
    fail("save_model_dir: no parameter {}", s.name);
  });
  engine::save_hf_model(m.config(), w, dir, engine::DType::f32);
  if (tokenizer_from && fs::is_directory(*tokenizer_from)) {
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "tokenizer.model",
                             "special_tokens_map.json", "generation_config.json", "vocab.json",
                             "merges.txt", "tokenizer.tiktoken"}) {
      fs::path src = *tokenizer_from / name;
      if (fs::exists(src) && fs::absolute(src) != fs::absolute(dir / name))
        io::write_file_atomic(dir / name, io::read_file(src));
    }
  }
}

fs::path save_checkpoint(const fs::path& out_dir, TrainModel<float>& m, const AdamWState& opt,
                         const TrainState& st) {
  fs::path root = out_dir / "checkpoints";
  std::string name = fmt::format("step-{:08d}", st.step);
  io::AtomicDir dir(root / name);  // staged beside, swapped in whole: the old one or the new one
  {
    io::SafetensorsWriter w;
    add_params(w, m);
    w.write(dir.path() / "model.safetensors");
  }
  {
    io::SafetensorsWriter w;
    std::vector<int64_t> shape = {(int64_t)opt.m.size()};
    w.add_ref("adam.m", io::StDType::F32, shape, opt.m.data(), sizeof(float) * opt.m.size());
    w.add_ref("adam.v", io::StDType::F32, shape, opt.v.data(), sizeof(float) * opt.v.size());
    w.write(dir.path() / "optimizer.safetensors");
  }
  nlohmann::json j = {{"step", st.step},          {"cursor", st.cursor},
                      {"epoch", st.epoch},        {"rng_state", std::to_string(st.rng_state)},
                      {"tokens_seen", st.tokens_seen}, {"adam_step", opt.step},
                      {"options", st.options}};
  io::write_file_atomic(dir.path() / "state.json", j.dump(2) + "\n");
  io::write_dir_manifest(dir.path(), kCheckpointFiles);  // last: its presence proves the rest
  dir.commit();
  io::write_file_atomic(root / "latest", name + "\n");
  return root / name;
}

std::optional<fs::path> latest_checkpoint(const fs::path& out_dir) {
  fs::path latest = out_dir / "checkpoints" / "latest";
  if (!fs::exists(latest)) return std::nullopt;
  std::string name = io::read_file(latest);
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  if (name.rfind("step-", 0) != 0 || name.find('/') != std::string::npos)
    fail_input("{}: \"{}\" is not a checkpoint name (expected step-NNNNNNNN)", latest.string(), name);
  fs::path p = out_dir / "checkpoints" / name;
  if (!fs::is_directory(p)) fail_input("{}: names {}, which does not exist", latest.string(), p.string());
  return p;
}

std::vector<fs::path> list_checkpoints(const fs::path& out_dir) {
  std::vector<fs::path> dirs;
  fs::path root = out_dir / "checkpoints";
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (it->is_directory() && n.rfind("step-", 0) == 0 && n.find(".tmp") == std::string::npos)
      dirs.push_back(it->path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

void verify_checkpoint_files(const fs::path& ckpt) {
  io::verify_dir_manifest(ckpt, kCheckpointFiles);
}

TrainState read_checkpoint_state(const fs::path& ckpt) {
  const fs::path file = ckpt / "state.json";
  const nlohmann::json j = io::parse_json(io::read_file(file), file.string());
  TrainState st;
  auto integer = [&](const char* field) {
    if (!j.contains(field) || !j[field].is_number_integer())
      fail_input("{}: field \"{}\": missing or not an integer", file.string(), field);
    return j[field].get<int64_t>();
  };
  st.step = integer("step");
  st.cursor = integer("cursor");
  st.epoch = integer("epoch");
  st.tokens_seen = integer("tokens_seen");
  st.adam_step = integer("adam_step");
  const std::string rng =
      j.contains("rng_state") && j["rng_state"].is_string() ? j["rng_state"].get<std::string>() : "";
  if (rng.empty() || rng.size() > 20 || rng.find_first_not_of("0123456789") != std::string::npos)
    fail_input("{}: field \"rng_state\": expected a decimal 64-bit integer in a string", file.string());
  try {
    st.rng_state = std::stoull(rng);
  } catch (const std::exception&) {
    fail_input("{}: field \"rng_state\": {} does not fit 64 bits", file.string(), rng);
  }
  if (!j.contains("options")) fail_input("{}: field \"options\": missing", file.string());
  st.options = j["options"];
  return st;
}

void load_checkpoint_tensors(const fs::path& ckpt, TrainModel<float>& m, AdamWState& opt,
                             const TrainState& st) {
  read_params(io::SafetensorsReader(ckpt / "model.safetensors"), m);
  io::SafetensorsReader r(ckpt / "optimizer.safetensors");
  const int64_t n = m.n_params();
  const auto& tm = r.get("adam.m", {n});
  const auto& tv = r.get("adam.v", {n});
  if (tm.dtype != io::StDType::F32 || tv.dtype != io::StDType::F32)
    fail_input("{}: adam.m and adam.v must be F32", (ckpt / "optimizer.safetensors").string());
  opt.m.assign((const float*)tm.data, (const float*)tm.data + n);
  opt.v.assign((const float*)tv.data, (const float*)tv.data + n);
  opt.step = st.adam_step;
  // Cheap next to the load; catches a damaged file even where its manifest was rewritten to match.
  for (int64_t i = 0; i < n; i++) {
    if (!std::isfinite(m.params[i]))
      fail_input("{}: parameter {} is {}; expected a finite value", (ckpt / "model.safetensors").string(), i,
                 m.params[i]);
    if (!std::isfinite(opt.m[i]) || !(opt.v[i] >= 0.0f && std::isfinite(opt.v[i])))
      fail_input("{}: adam.m/adam.v element {} is {}/{}; expected finite, adam.v >= 0",
                 (ckpt / "optimizer.safetensors").string(), i, opt.m[i], opt.v[i]);
  }
}

TrainState load_checkpoint(const fs::path& ckpt, TrainModel<float>& m, AdamWState& opt) {
  verify_checkpoint_files(ckpt);
  TrainState st = read_checkpoint_state(ckpt);
  load_checkpoint_tensors(ckpt, m, opt, st);
  return st;
}

void prune_checkpoints(const fs::path& out_dir, int keep) {
  if (keep <= 0) return;
  std::vector<fs::path> dirs = list_checkpoints(out_dir);
  for (size_t i = 0; i + keep < dirs.size(); i++) fs::remove_all(dirs[i]);
}

}  // namespace lw::train

namespace lw::train {

InitSpec resolve_init(const fs::path& init) {
  InitSpec s;
  s.path = init;
  if (!fs::exists(init)) fail_input("--model: {} does not exist", init.string());
  if (fs::is_directory(init)) {
    s.tokenizer_dir = init;
    s.has_weights = fs::exists(init / "model.safetensors") || fs::exists(init / "model.safetensors.index.json");
    if (s.has_weights) {
      engine::LoadOptions lo;
      s.cfg = engine::load_model(init, lo)->config();
    } else {
      s.cfg = engine::load_hf_config(init);
    }
  } else if (init.extension() == ".gguf") {
    s.has_weights = true;
    engine::LoadOptions lo;
    lo.hf_row_order = true;
    s.cfg = engine::load_model(init, lo)->config();
  } else {
    s.cfg = engine::load_hf_config(init);
    s.tokenizer_dir = init.parent_path().empty() ? fs::path(".") : init.parent_path();
  }
  return s;
}

}  // namespace lw::train
