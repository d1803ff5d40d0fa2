#include "tokenizer/chat_format.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "io/json_read.hpp"
#include "io/file.hpp"
#include "io/gguf.hpp"
#include "util/error.hpp"

namespace lw::tok {

namespace fs = std::filesystem;

namespace {

struct NamedFormat {
  ChatFormatId id;
  const char* name;
};
constexpr NamedFormat kFormats[] = {{ChatFormatId::llama3_longwriter, "llama3-longwriter"},
                                    {ChatFormatId::llama3, "llama3"},
                                    {ChatFormatId::glm4, "glm4"},
                                    {ChatFormatId::chatml, "chatml"}};

std::string trim(std::string_view s) {
  const char* ws = " \t\r\n";
  auto a = s.find_first_not_of(ws);
  if (a == std::string_view::npos) return "";
  auto b = s.find_last_not_of(ws);
  return std::string(s.substr(a, b - a + 1));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

}  // namespace

std::vector<std::string> chat_format_names() {
  std::vector<std::string> out;
  for (const auto& f : kFormats) out.emplace_back(f.name);
  return out;
}

ChatFormatId parse_chat_format(std::string_view name) {
  for (const auto& f : kFormats)
    if (name == f.name) return f.id;
  fail_input("unknown chat format \"{}\" (expected one of: llama3-longwriter, llama3, glm4, chatml)", name);
}

std::string chat_format_name(ChatFormatId id) {
  for (const auto& f : kFormats)
    if (f.id == id) return f.name;
  return "?";
}

TokenId ChatFormat::need(std::string_view name, TokenId preferred) const {
  if (preferred >= 0) return preferred;
  auto id = tok_->token_to_id(name);
  if (!id) fail_input("chat format {}: the tokenizer has no special token {}", chat_format_name(id_), name);
  return *id;
}

ChatFormat::ChatFormat(ChatFormatId id, const Tokenizer& tok) : id_(id), tok_(&tok) {
  switch (id_) {
    case ChatFormatId::llama3_longwriter:
      bos_ = need("<|begin_of_text|>", tok.bos_id());
      eos_ = need("<|end_of_text|>", tok.eos_id());
      break;
    case ChatFormatId::llama3:
      bos_ = need("<|begin_of_text|>", tok.bos_id());
      t1_ = need("<|start_header_id|>");
      t2_ = need("<|end_header_id|>");
      t3_ = need("<|eot_id|>");
      eos_ = t3_;
      break;
    case ChatFormatId::glm4:
      t1_ = need("[gMASK]");
      t2_ = need("<sop>");
      t3_ = need("<|system|>");
      t4_ = need("<|user|>");
      t5_ = need("<|assistant|>");
      eos_ = need("<|endoftext|>", tok.eos_id());
      break;
    case ChatFormatId::chatml:
      t1_ = need("<|im_start|>");
      t2_ = need("<|im_end|>");
      eos_ = t2_;
      break;
  }
}

ChatFormat ChatFormat::by_name(std::string_view name, const Tokenizer& tok) {
  return ChatFormat(parse_chat_format(name), tok);
}

std::vector<ChatFormat::Segment> ChatFormat::segments(std::span<const ChatMessage> messages,
                                                      bool generation_prompt) const {
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& r = messages[i].role;
    if (r != "system" && r != "user" && r != "assistant")
      fail_input("message {}: unknown role \"{}\" (expected system, user or assistant)", i, r);
  }
  std::vector<Segment> s;
  auto text = [&](std::string t, bool lab = false) { s.push_back({std::move(t), -1, lab}); };
  auto special = [&](TokenId id, bool lab = false) { s.push_back({"", id, lab}); };
  const size_t n = messages.size();

  switch (id_) {
    case ChatFormatId::llama3_longwriter: {
      special(bos_);
      std::string sys;
      bool open_sys = false;
      for (size_t i = 0; i < n; ++i) {
        const auto& m = messages[i];
        if (m.role == "system") {
          sys += "<<SYS>>\n" + m.content + "\n<</SYS>>\n\n";
          open_sys = true;
        } else if (m.role == "user") {
          text("[INST]" + sys + m.content + "[/INST]");
          sys.clear();
          open_sys = false;
        } else {
          text(m.content, true);
          special(eos_, true);
        }
      }
      if (open_sys) text("[INST]" + sys + "[/INST]");
      break;
    }
    case ChatFormatId::llama3: {
      special(bos_);
      auto header = [&](const std::string& role) {
        special(t1_);
        text(role);
        special(t2_);
      };
      for (const auto& m : messages) {
        header(m.role);
        bool asst = m.role == "assistant";
        text("\n\n");
        text(trim(m.content), asst);
        special(t3_, asst);
      }
      if (generation_prompt) {
        header("assistant");
        text("\n\n");
      }
      break;
    }
    case ChatFormatId::glm4: {
      special(t1_);
      special(t2_);
      bool after_assistant = false;
      for (const auto& m : messages) {
        TokenId role = m.role == "system" ? t3_ : m.role == "user" ? t4_ : t5_;
        // Between turns the next role token is what ends an assistant reply: it is labelled.
        special(role, after_assistant);
        text("\n");
        after_assistant = m.role == "assistant";
        text(m.content, after_assistant);
      }
      if (generation_prompt) {
        special(t5_, after_assistant);
        text("\n");
      } else if (after_assistant) {
        special(eos_, true);
      }
      break;
    }
    case ChatFormatId::chatml: {
      for (size_t i = 0; i < n; ++i) {
        const auto& m = messages[i];
        bool asst = m.role == "assistant";
        special(t1_);
        text(m.role + "\n");
        text(m.content, asst);
        special(t2_, asst);
        if (i + 1 < n || generation_prompt) text("\n");
      }
      if (generation_prompt) {
        special(t1_);
        text("assistant\n");
      }
      break;
    }
  }
  return s;
}

// The one segment renderer: text segments with the same label flag are merged and encoded
// together (specials never pass through the text encoder), so a prompt's tokens are exactly the
// training rendering's prefix.
RenderedChat ChatFormat::encode_segments(const std::vector<Segment>& segs) const {
  RenderedChat out;
  std::string run;
  bool run_label = false;
  auto flush = [&] {
    if (run.empty()) return;
    std::vector<TokenId> ids = tok_->encode(run, /*allow_special=*/false);
    out.ids.insert(out.ids.end(), ids.begin(), ids.end());
    out.labels.insert(out.labels.end(), ids.size(), run_label ? 1 : 0);
    run.clear();
  };
  for (const auto& seg : segs) {
    if (seg.special >= 0) {
      flush();
      out.ids.push_back(seg.special);
      out.labels.push_back(seg.labelled ? 1 : 0);
    } else {
      if (seg.labelled != run_label) flush();
      run_label = seg.labelled;
      run += seg.text;
    }
  }
  flush();
  return out;
}

RenderedChat ChatFormat::render(std::span<const ChatMessage> messages) const {
  return encode_segments(segments(messages, /*generation_prompt=*/false));
}

std::vector<TokenId> ChatFormat::render_prompt(std::span<const ChatMessage> messages) const {
  return encode_segments(segments(messages, /*generation_prompt=*/true)).ids;
}

std::vector<TokenId> ChatFormat::stop_ids() const {
  std::vector<TokenId> out = tok_->stop_ids();
  auto add = [&](TokenId id) {
    if (id >= 0 && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  add(eos_);
  auto add_named = [&](std::string_view name) {
    if (auto id = tok_->token_to_id(name)) add(*id);
  };
  switch (id_) {
    case ChatFormatId::llama3_longwriter:
    case ChatFormatId::llama3:
      add_named("<|eot_id|>");
      add_named("<|end_of_text|>");
      break;
    case ChatFormatId::glm4:
      add(t4_);
      add_named("<|observation|>");
      break;
    case ChatFormatId::chatml:
      add_named("<|endoftext|>");
      break;
  }
  return out;
}

// ---------------------------------------------------------------- detection

std::optional<ChatFormatId> chat_format_from_template(std::string_view t) {
  if (t.empty()) return std::nullopt;
  if (contains(t, "<|start_header_id|>")) return ChatFormatId::llama3;
  if (contains(t, "[gMASK]") || contains(t, "<|assistant|>")) return ChatFormatId::glm4;
  if (contains(t, "<|im_start|>")) return ChatFormatId::chatml;
  if (contains(t, "[INST]") && contains(t, "[/INST]")) return ChatFormatId::llama3_longwriter;
  return std::nullopt;
}

std::optional<DetectedChatFormat> detect_chat_format(const ChatFormatHints& h) {
  if (!h.explicit_format.empty())
    return DetectedChatFormat{parse_chat_format(h.explicit_format), "config.json longwriter_chat_format"};
  bool llama_arch = false, glm_arch = false, qwen_arch = false;
  for (const auto& a0 : h.architectures) {
    std::string a = lower(a0);
    llama_arch |= contains(a, "llama");
    glm_arch |= contains(a, "glm");
    qwen_arch |= contains(a, "qwen");
  }
  std::string mt = lower(h.model_type);
  glm_arch |= contains(mt, "glm");
  llama_arch |= contains(mt, "llama");
  qwen_arch |= contains(mt, "qwen");
  bool longwriter_name = contains(lower(h.model_name), "longwriter");

  if (auto id = chat_format_from_template(h.chat_template)) {
    // LongWriter's Llama models keep the Llama 3 vocabulary but are trained on [INST] prompts.
    if (*id == ChatFormatId::llama3 && longwriter_name && llama_arch && contains(h.chat_template, "[INST]"))
      return DetectedChatFormat{ChatFormatId::llama3_longwriter, "chat_template uses [INST] (LongWriter)"};
    return DetectedChatFormat{*id, "chat_template matches " + chat_format_name(*id)};
  }
  auto has = [&](std::string_view t) { return h.has_token && h.has_token(t); };
  if (glm_arch) return DetectedChatFormat{ChatFormatId::glm4, "GLM architecture"};
  if (llama_arch && longwriter_name) return DetectedChatFormat{ChatFormatId::llama3_longwriter, "LongWriter Llama model"};
  if (has("<|start_header_id|>") && has("<|eot_id|>"))
    return DetectedChatFormat{ChatFormatId::llama3, "vocabulary has <|start_header_id|>"};
  if (has("[gMASK]") && has("<|assistant|>")) return DetectedChatFormat{ChatFormatId::glm4, "vocabulary has [gMASK]"};
  if (has("<|im_start|>") && has("<|im_end|>"))
    return DetectedChatFormat{ChatFormatId::chatml, "vocabulary has <|im_start|>"};
  if (qwen_arch) return DetectedChatFormat{ChatFormatId::chatml, "Qwen architecture"};
  return std::nullopt;
}

DetectedChatFormat detect_chat_format(const fs::path& model_dir, const Tokenizer* tok) {
  using nlohmann::json;
  ChatFormatHints h;
  fs::path dir = fs::is_directory(model_dir) ? model_dir : model_dir.parent_path();
  h.model_name = fs::absolute(model_dir).lexically_normal().filename().string();
  if (h.model_name.empty()) h.model_name = fs::absolute(model_dir).parent_path().filename().string();
  auto load = [&](const fs::path& p) -> json {
    if (!fs::exists(p)) return json();
    return io::parse_json(io::read_file(p), p.string());
  };
  json cfg = load(dir / "config.json");
  if (cfg.is_object()) {
    if (cfg.contains("longwriter_chat_format") && cfg["longwriter_chat_format"].is_string())
      h.explicit_format = cfg["longwriter_chat_format"].get<std::string>();
    if (cfg.contains("architectures") && cfg["architectures"].is_array())
      for (const auto& a : cfg["architectures"])
        if (a.is_string()) h.architectures.push_back(a.get<std::string>());
    if (cfg.contains("model_type") && cfg["model_type"].is_string()) h.model_type = cfg["model_type"].get<std::string>();
  }
  json tc = load(dir / "tokenizer_config.json");
  if (tc.is_object() && tc.contains("chat_template")) {
    const json& t = tc["chat_template"];
    if (t.is_string()) {
      h.chat_template = t.get<std::string>();
    } else if (t.is_array()) {  // [{"name": "default", "template": "..."}, ...]
      for (const auto& e : t)
        if (e.is_object() && e.value("name", "") == "default" && e.contains("template"))
          h.chat_template = e["template"].get<std::string>();
    }
  }
  if (model_dir.extension() == ".gguf" && fs::is_regular_file(model_dir)) {
    // A GGUF file carries its own hints: the architecture (llama / chatglm), the model's name and
    // the chat template llama.cpp's converter embedded.
    const auto g = io::GgufFile::open(model_dir);
    if (auto a = g.get_string_opt("general.architecture")) h.architectures.push_back(*a);
    if (auto n = g.get_string_opt("general.name"); n && !n->empty()) h.model_name += " " + *n;
    if (auto t = g.get_string_opt("tokenizer.chat_template")) h.chat_template = *t;
  }
  if (tok) h.has_token = [tok](std::string_view t) { return tok->token_to_id(t).has_value(); };
  auto d = detect_chat_format(h);
  if (!d)
    fail_input("{}: cannot detect the chat format (no known chat_template, architecture or special tokens); "
               "pass --format (llama3-longwriter, llama3, glm4, chatml)",
               model_dir.string());
  return *d;
}

}  // namespace lw::tok
