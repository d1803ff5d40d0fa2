#include "convert/gguf_tokenizer.hpp"

#ifndef LW_NO_SENTENCEPIECE  // the engine subset (LW_ENGINE_SUBSET) has no libsentencepiece
#include <sentencepiece_processor.h>
#endif

#include <nlohmann/json.hpp>

#include "io/json_read.hpp"
#include "io/file.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::convert {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr int32_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6;

Json read_json(const fs::path& p) {
  return io::parse_json(io::read_file(p), p.string());
}

// The chat template of tokenizer_config.json: a string, or the "default" of a list of templates.
std::string chat_template_of(const fs::path& dir) {
  fs::path p = dir / "tokenizer_config.json";
  if (!fs::exists(p)) return "";
  Json j = read_json(p);
  auto it = j.find("chat_template");
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array())
    for (const auto& t : *it)
      if (t.value("name", "") == "default" && t.contains("template")) return t["template"].get<std::string>();
  return "";
}

// Collects the regex patterns of Split steps, and whether a ByteLevel step uses its own regex.
void collect_patterns(const Json& pre, std::vector<std::string>& pats, bool& byte_level_regex) {
  if (!pre.is_object()) return;
  std::string type = pre.value("type", "");
  if (type == "Sequence") {
    if (pre.contains("pretokenizers") && pre["pretokenizers"].is_array())
      for (const auto& p : pre["pretokenizers"]) collect_patterns(p, pats, byte_level_regex);
  } else if (type == "Split" && pre.contains("pattern") && pre["pattern"].contains("Regex")) {
    pats.push_back(pre["pattern"]["Regex"].get<std::string>());
  } else if (type == "ByteLevel" && pre.value("use_regex", true)) {
    byte_level_regex = true;
  }
}

// The GGUF tokenizer.ggml.pre name whose patterns equal those of the tokenizer.json.
std::string pre_name_of(const Json& tj, std::string& notes) {
  std::vector<std::string> pats;
  bool blr = false;
  if (tj.contains("pre_tokenizer")) collect_patterns(tj["pre_tokenizer"], pats, blr);
  if (blr) pats.push_back(tok::patterns::kGpt2);
  for (const auto& name : tok::PreTokenizer::gguf_pre_names()) {
    try {
      if (tok::PreTokenizer::for_gguf_pre(name, "").patterns() == pats) return name;
    } catch (const InputError&) {
    }
  }
  notes += "tokenizer.json pre-tokenizer matches no known GGUF pre-tokenizer; wrote tokenizer.ggml.pre = default\n";
  return "default";
}

bool add_bpe(const fs::path& file, const engine::ModelConfig& cfg, io::GgufStreamWriter& w, std::string& notes) {
  const Json tj = read_json(file);
  const Json model = tj.contains("model") && tj["model"].is_object() ? tj["model"] : Json::object();
  if (model.value("type", "") != "BPE") {
    notes += fmt::format("{}: model type '{}' is not byte-level BPE; tokenizer not carried over\n", file.string(),
                         model.value("type", "?"));
    return false;
  }
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  auto put = [&](int64_t id, const std::string& s, int32_t type) {
    if (id < 0 || id > (1 << 24)) fail_input("{}: token id {} out of range", file.string(), id);
    if (static_cast<size_t>(id) >= tokens.size()) {
      tokens.resize(static_cast<size_t>(id) + 1);
      types.resize(static_cast<size_t>(id) + 1, 0);
    }
    tokens[static_cast<size_t>(id)] = s;
    types[static_cast<size_t>(id)] = type;
  };
  const Json vocab = model.contains("vocab") && model["vocab"].is_object() ? model["vocab"] : Json::object();
  for (auto it = vocab.begin(); it != vocab.end(); ++it) put(it.value().get<int64_t>(), it.key(), kNormal);
  const Json added = tj.contains("added_tokens") && tj["added_tokens"].is_array() ? tj["added_tokens"] : Json::array();
  for (const auto& a : added)
    put(a.at("id").get<int64_t>(), a.at("content").get<std::string>(), a.value("special", true) ? kControl : kUserDefined);
  if (tokens.size() < static_cast<size_t>(cfg.V)) {
    tokens.resize(static_cast<size_t>(cfg.V));
    types.resize(static_cast<size_t>(cfg.V), 0);
  }
  for (size_t i = 0; i < tokens.size(); ++i)
    if (types[i] == 0) {
      tokens[i] = fmt::format("[PAD{}]", i);
      types[i] = kUnused;
    }
  std::vector<std::string> merges;
  const Json mlist = model.contains("merges") && model["merges"].is_array() ? model["merges"] : Json::array();
  for (const auto& m : mlist) {
    if (m.is_string()) merges.push_back(m.get<std::string>());
    else if (m.is_array() && m.size() == 2) merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
  }
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", pre_name_of(tj, notes));
  w.set_array_string("tokenizer.ggml.tokens", tokens);
  w.set_array_i32("tokenizer.ggml.token_type", types);
  w.set_array_string("tokenizer.ggml.merges", merges);
  w.set_bool("tokenizer.ggml.add_bos_token", cfg.bos_id >= 0);
  return true;
}

#ifdef LW_NO_SENTENCEPIECE
bool add_spm(const fs::path& file, io::GgufStreamWriter&) {
  fail_input(
      "{}: SentencePiece models are not supported by this build (configured with LW_ENGINE_SUBSET, without "
      "libsentencepiece)",
      file.string());
}
#else
bool add_spm(const fs::path& file, io::GgufStreamWriter& w) {
  sentencepiece::SentencePieceProcessor sp;
  auto st = sp.Load(file.string());
  if (!st.ok()) fail_input("{}: cannot load SentencePiece model: {}", file.string(), st.ToString());
  const int n = sp.GetPieceSize();
  std::vector<std::string> tokens(static_cast<size_t>(n));
  std::vector<float> scores(static_cast<size_t>(n));
  std::vector<int32_t> types(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    tokens[i] = sp.IdToPiece(i);
    scores[i] = sp.GetScore(i);
    types[i] = sp.IsUnknown(i) ? kUnknown : sp.IsControl(i) ? kControl : sp.IsUnused(i) ? kUnused
               : sp.IsByte(i)  ? kByte : kNormal;
  }
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_array_string("tokenizer.ggml.tokens", tokens);
  w.set_array_f32("tokenizer.ggml.scores", scores);
  w.set_array_i32("tokenizer.ggml.token_type", types);
  if (sp.unk_id() >= 0) w.set_u32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(sp.unk_id()));
  if (!w.has_key("tokenizer.ggml.bos_token_id") && sp.bos_id() >= 0)
    w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(sp.bos_id()));
  if (!w.has_key("tokenizer.ggml.eos_token_id") && sp.eos_id() >= 0)
    w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(sp.eos_id()));
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  return true;
}
#endif

}  // namespace

bool add_hf_tokenizer_to_gguf(const fs::path& dir, const engine::ModelConfig& cfg, io::GgufStreamWriter& w,
                              std::string& notes) {
  bool ok = false;
  if (fs::exists(dir / "tokenizer.json")) {
    ok = add_bpe(dir / "tokenizer.json", cfg, w, notes);
  } else if (fs::exists(dir / "tokenizer.model")) {
    ok = add_spm(dir / "tokenizer.model", w);
  } else {
    notes += fmt::format("{}: no tokenizer.json or tokenizer.model; the GGUF has no vocabulary\n", dir.string());
  }
  std::string tmpl = chat_template_of(dir);
  if (!tmpl.empty()) w.set_string("tokenizer.chat_template", tmpl);
  return ok;
}

bool write_hf_tokenizer_from_gguf(const io::GgufFile& f, const fs::path& dir, std::string& notes) {
  const std::string model = f.get_string_opt("tokenizer.ggml.model").value_or("");
  const std::string tmpl = f.get_string_opt("tokenizer.chat_template").value_or("");
  Json cfg = Json::object();
  if (!tmpl.empty()) cfg["chat_template"] = tmpl;
  if (model != "gpt2") {
    notes += model.empty() ? std::string("the GGUF file has no vocabulary; no tokenizer written\n")
                           : fmt::format("tokenizer.ggml.model '{}' has no tokenizer.json form here; no tokenizer "
                                         "written (use --tokenizer {} with the converted model)\n",
                                         model, f.name());
    if (!tmpl.empty()) io::write_file_atomic(dir / "tokenizer_config.json", cfg.dump(2) + "\n");
    return false;
  }
  const auto& tokens = f.get_string_array("tokenizer.ggml.tokens");
  std::vector<int64_t> types = f.has("tokenizer.ggml.token_type") ? f.get_int_array("tokenizer.ggml.token_type")
                                                                   : std::vector<int64_t>(tokens.size(), kNormal);
  Json vocab = Json::object(), added = Json::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int64_t t = i < types.size() ? types[i] : kNormal;
    if (t == kControl || t == kUserDefined) {
      added.push_back({{"id", i}, {"content", tokens[i]}, {"single_word", false}, {"lstrip", false},
                       {"rstrip", false}, {"normalized", t == kUserDefined}, {"special", t == kControl}});
    } else {
      vocab[tokens[i]] = i;
    }
  }
  Json merges = Json::array();
  if (f.has("tokenizer.ggml.merges"))
    for (const auto& m : f.get_string_array("tokenizer.ggml.merges")) merges.push_back(m);
  const std::string pre = f.get_string_opt("tokenizer.ggml.pre").value_or("default");
  Json steps = Json::array();
  for (const auto& p : tok::PreTokenizer::for_gguf_pre(pre, f.name()).patterns())
    steps.push_back({{"type", "Split"}, {"pattern", {{"Regex", p}}}, {"behavior", "Isolated"}, {"invert", false}});
  steps.push_back({{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}});
  Json tj = {{"version", "1.0"},
             {"truncation", nullptr},
             {"padding", nullptr},
             {"added_tokens", added},
             {"normalizer", nullptr},
             {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", steps}}},
             {"post_processor", nullptr},
             {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
             {"model",
              {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
               {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false},
               {"ignore_merges", pre == "llama-bpe"}, {"vocab", vocab}, {"merges", merges}}}};
  io::write_file_atomic(dir / "tokenizer.json", tj.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
  auto name_of = [&](const char* key) -> std::string {
    int64_t id = f.get_int(key, -1);
    return id >= 0 && static_cast<size_t>(id) < tokens.size() ? tokens[static_cast<size_t>(id)] : "";
  };
  if (auto b = name_of("tokenizer.ggml.bos_token_id"); !b.empty()) cfg["bos_token"] = b;
  if (auto e = name_of("tokenizer.ggml.eos_token_id"); !e.empty()) cfg["eos_token"] = e;
  io::write_file_atomic(dir / "tokenizer_config.json", cfg.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
  return true;
}

bool copy_gguf_tokenizer(const io::GgufFile& f, io::GgufStreamWriter& w, std::string& notes) {
  bool any = false;
  for (const auto& kv : f.metadata()) {
    if (!kv.key.starts_with("tokenizer.")) continue;
    if (w.set(kv.key, kv.value)) any = true;
    else notes += fmt::format("{}: not copied (array of {})\n", kv.key, io::gguf_type_name(kv.value.elem_type));
  }
  if (!any) notes += fmt::format("{}: no tokenizer metadata to carry over\n", f.name());
  return any;
}

}  // namespace lw::convert
