#include "serve/model_card.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>

#include <fmt/format.h>

namespace lw::serve {

namespace fs = std::filesystem;

std::string parameter_size_text(int64_t n) {
  if (n >= 1000000000) return fmt::format("{:.1f}B", static_cast<double>(n) / 1e9);
  if (n >= 1000000) return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  if (n >= 1000) return fmt::format("{:.0f}K", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

namespace {

// Size and newest modification time of the model's files.
void file_facts(const fs::path& path, int64_t& bytes, int64_t& modified) {
  std::error_code ec;
  auto add = [&](const fs::path& p) {
    if (!fs::is_regular_file(p, ec)) return;
    bytes += static_cast<int64_t>(fs::file_size(p, ec));
    auto t = fs::last_write_time(p, ec);
    auto sys =
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(t - fs::file_time_type::clock::now());
    modified = std::max<int64_t>(
        modified, std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count());
  };
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) add(e.path());
  } else {
    add(path);
  }
}

}  // namespace

ModelCard model_card(const LocalBackend& backend, const fs::path& path) {
  const auto& m = backend.model();
  const auto& c = m.config();
  ModelCard card;
  card.format = path.extension() == ".gguf" ? "gguf" : "safetensors";
  card.family = engine::arch_name(c.arch);
  card.parameter_count = c.n_params();
  card.parameter_size = parameter_size_text(card.parameter_count);
  const auto& w = m.weights();
  // (the file's type: a weight repacked at load keeps its base type's name here)
  std::string q = engine::dtype_name(quant::x16_base(w.layers.empty() ? w.tok_embd.dtype : w.layers[0].wq.dtype));
  std::transform(q.begin(), q.end(), q.begin(), [](unsigned char ch) { return std::toupper(ch); });
  card.quantization_level = q;
  card.chat_format = backend.chat_format().name();
  card.context_length = c.max_context;
  card.embedding_length = c.C;
  card.block_count = c.n_layer;
  card.head_count = c.n_head;
  card.head_count_kv = c.n_kv_head;
  card.vocab_size = c.V;
  int64_t bytes = 0;
  file_facts(path, bytes, card.modified_unix);
  card.size_bytes = bytes > 0 ? bytes : static_cast<int64_t>(m.weight_bytes());
  // Not a content hash (that would read every weight at start): the identity of the files.
  const std::string id =
      fmt::format("{}|{}|{}", fs::absolute(path).string(), card.size_bytes, card.modified_unix);
  const size_t h1 = std::hash<std::string>{}(id), h2 = std::hash<std::string>{}(id + "#");
  card.digest = fmt::format("{:016x}{:016x}{:016x}{:016x}", h1, h2, h1 ^ h2, h1 + h2);
  return card;
}

}  // namespace lw::serve
