// tiktoken rank files: one "BASE64 RANK" line per token, the rank being the token id and the merge
// priority. Special tokens are not in the file; they come from tokenizer_config.json beside it or
// from the known layouts below (facts of those tokenizers).
#include <charconv>

#include "io/file.hpp"
#include "tokenizer/bpe_tokenizer.hpp"
#include "tokenizer/loaders.hpp"
#include "util/error.hpp"

namespace lw::tok {

namespace {

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 4 != 0) return false;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + static_cast<size_t>(k)];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else {
        if (pad) return false;
        v[k] = b64_value(c);
        if (v[k] < 0) return false;
      }
    }
    uint32_t x = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<char>(x >> 16));
    if (pad < 2) out.push_back(static_cast<char>((x >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(x & 0xFF));
  }
  return true;
}

struct Layout {
  size_t n_ranks;
  std::vector<std::pair<std::string, TokenId>> specials;
  std::string bos, eos, pad;
};

std::vector<Layout> known_layouts() {
  std::vector<Layout> out;
  // cl100k_base
  out.push_back({100256,
                 {{"<|endoftext|>", 100257},
                  {"<|fim_prefix|>", 100258},
                  {"<|fim_middle|>", 100259},
                  {"<|fim_suffix|>", 100260},
                  {"<|endofprompt|>", 100276}},
                 "", "<|endoftext|>", ""});
  // Llama 3.x: 256 specials after the 128,000 ranks.
  Layout l3{128000, {}, "<|begin_of_text|>", "<|end_of_text|>", "<|finetune_right_pad_id|>"};
  const char* named[] = {"<|begin_of_text|>",         "<|end_of_text|>",
                         "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                         "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                         "<|start_header_id|>",       "<|end_header_id|>",
                         "<|eom_id|>",                "<|eot_id|>",
                         "<|python_tag|>"};
  TokenId id = 128000;
  for (const char* n : named) l3.specials.emplace_back(n, id++);
  for (int r = 3; id < 128256; ++r) l3.specials.emplace_back(fmt::format("<|reserved_special_token_{}|>", r), id++);
  out.push_back(std::move(l3));
  // GLM-4 (its tokenizer.model is a tiktoken file).
  Layout glm{151329, {}, "", "<|endoftext|>", "<|endoftext|>"};
  const char* glm_names[] = {"<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>",
                             "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>",
                             "<|begin_of_image|>", "<|end_of_image|>", "<|begin_of_video|>",
                             "<|end_of_video|>"};
  id = 151329;
  for (const char* n : glm_names) glm.specials.emplace_back(n, id++);
  out.push_back(std::move(glm));
  return out;
}

}  // namespace

bool looks_like_tiktoken(std::string_view head) {
  size_t nl = head.find('\n');
  std::string_view line = head.substr(0, nl == std::string_view::npos ? head.size() : nl);
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  for (size_t i = 0; i < sp; ++i) {
    if (b64_value(line[i]) < 0 && line[i] != '=') return false;
  }
  for (size_t i = sp + 1; i < line.size(); ++i) {
    if ((line[i] < '0' || line[i] > '9') && line[i] != '\r') return false;
  }
  return sp + 1 < line.size();
}

std::unique_ptr<Tokenizer> load_tiktoken_text(std::string_view content, const std::string& name,
                                              const HfTokenizerConfig* config) {
  BpeConfig cfg;
  cfg.source = name;
  cfg.rank_by_bytes = true;
  std::vector<std::pair<std::string, int64_t>> entries;
  int64_t max_rank = -1;
  size_t line_no = 0, pos = 0;
  std::string bytes;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    std::string_view line = content.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? content.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) fail_input("{}:{}: expected 'BASE64 RANK'", name, line_no);
    if (!base64_decode(line.substr(0, sp), bytes) || bytes.empty()) {
      fail_input("{}:{}: invalid base64 token '{}'", name, line_no, line.substr(0, std::min<size_t>(sp, 40)));
    }
    std::string_view num = line.substr(sp + 1);
    int64_t rank = -1;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), rank);
    if (ec != std::errc() || p != num.data() + num.size() || rank < 0) {
      fail_input("{}:{}: rank '{}' is not a non-negative integer", name, line_no, num.substr(0, 20));
    }
    max_rank = std::max(max_rank, rank);
    entries.emplace_back(bytes, rank);
  }
  if (entries.empty()) fail_input("{}: no tokens (expected 'BASE64 RANK' lines)", name);
  // Ranks must be (nearly) dense: this bounds the vocabulary allocation by the file size.
  if (max_rank >= static_cast<int64_t>(entries.size()) * 2 + 1024) {
    fail_input("{}: ranks are not dense (max rank {} for {} tokens)", name, max_rank, entries.size());
  }
  size_t n_ranks = entries.size();
  cfg.vocab.resize(static_cast<size_t>(max_rank) + 1);
  for (auto& e : cfg.vocab) e.attr = TokenAttr::unused;
  for (auto& [b, rank] : entries) {
    auto& v = cfg.vocab[static_cast<size_t>(rank)];
    if (v.attr != TokenAttr::unused) fail_input("{}: rank {} appears twice", name, rank);
    v.text = b;
    v.bytes = std::move(b);
    v.attr = TokenAttr::normal;
  }
  bool have_byte[256] = {};
  for (const auto& v : cfg.vocab) {
    if (v.attr == TokenAttr::normal && v.bytes.size() == 1) have_byte[static_cast<uint8_t>(v.bytes[0])] = true;
  }
  for (int b = 0; b < 256; ++b) {
    if (!have_byte[b]) fail_input("{}: no token for the single byte 0x{:02x}", name, b);
  }

  auto add_special = [&](const std::string& text, TokenId id, bool special) {
    if (id < 0 || id > (1 << 24)) return;
    if (static_cast<size_t>(id) >= cfg.vocab.size()) {
      cfg.vocab.resize(static_cast<size_t>(id) + 1, BpeVocabEntry{"", "", TokenAttr::unused});
    }
    auto& v = cfg.vocab[static_cast<size_t>(id)];
    if (v.attr == TokenAttr::normal) return;  // ranks win over a conflicting config
    v.text = v.bytes = text;
    v.attr = special ? TokenAttr::control : TokenAttr::user_defined;
  };
  std::string bos, eos, pad;
  if (config && !config->added.empty()) {
    for (const auto& [id, a] : config->added) add_special(a.content, id, a.special);
  } else {
    for (const auto& l : known_layouts()) {
      if (l.n_ranks != n_ranks) continue;
      for (const auto& [t, id] : l.specials) add_special(t, id, true);
      bos = l.bos;
      eos = l.eos;
      pad = l.pad;
    }
  }
  if (config) {
    if (config->bos) bos = *config->bos;
    if (config->eos) eos = *config->eos;
    if (config->pad) pad = *config->pad;
  }
  auto find = [&](const std::string& t) -> TokenId {
    if (t.empty()) return -1;
    for (size_t id = n_ranks; id < cfg.vocab.size(); ++id) {
      if (cfg.vocab[id].attr != TokenAttr::normal && cfg.vocab[id].text == t) return static_cast<TokenId>(id);
    }
    return -1;
  };
  cfg.bos = find(bos);
  cfg.eos = find(eos);
  cfg.pad = find(pad);
  cfg.pre.add_split(patterns::kLlama3);
  return std::make_unique<BpeTokenizer>(std::move(cfg));
}

std::unique_ptr<Tokenizer> load_tiktoken(const std::filesystem::path& path) {
  auto config = read_hf_tokenizer_config(path.parent_path().empty() ? "." : path.parent_path());
  return load_tiktoken_text(io::read_file(path), path.string(), config ? &*config : nullptr);
}

}  // namespace lw::tok
