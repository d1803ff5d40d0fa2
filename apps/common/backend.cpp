#include "common/backend.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "common/engine_options.hpp"
#include "net/openai_client.hpp"
#include "serve/local_backend.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::apps {

void add_backend_options(CLI::App* cmd, BackendOptions& o, const std::string& prefix) {
  const std::string p = "--" + prefix;
  cmd->add_option(p + "base-url", o.base_url,
                  "OpenAI-compatible server URL(s), comma-separated (round-robin with failover), e.g.\n"
                  "http://127.0.0.1:8000/v1. Default: $OPENAI_BASE_URL. With it, --" +
                      prefix + "model names the server's model; without it, --" + prefix +
                      "model is a local model path");
  cmd->add_option(p + "model", o.model, "Model name on the server, or a local model directory / .gguf file");
  cmd->add_option(p + "api-key-file", o.api_key_file,
                  "File holding the API key (default: $OPENAI_API_KEY). The key is never printed or logged");
  cmd->add_option(p + "concurrency", o.concurrency,
                  "Requests in flight at once (a local --" + prefix +
                      "model decodes this many sequences together,\n"
                      "sharing each read of the weights)")
      ->capture_default_str();
  cmd->add_option(p + "timeout", o.timeout_s, "Seconds allowed for one request attempt, connect to last byte")
      ->capture_default_str();
  cmd->add_option(p + "connect-timeout", o.connect_timeout_s, "Seconds allowed to connect to a server")
      ->capture_default_str();
  cmd->add_option(p + "retries", o.max_retries,
                  "Retries on connect errors, timeouts, 429 and 5xx (exponential backoff with jitter;\n"
                  "Retry-After honoured). 400/401/403/404 are never retried")
      ->capture_default_str();
  cmd->add_option(p + "format", o.format,
                  "Chat format of a local --" + prefix +
                      "model: llama3-longwriter, llama3, glm4, chatml\n"
                      "(default: detected from the model)");
  cmd->add_option(p + "threads", o.threads, "Engine threads for a local --" + prefix + "model (0: all cores)")
      ->capture_default_str();
  add_kv_cache_option(cmd, o.kv_cache, prefix);
  add_prefix_cache_flag(cmd, o.no_prefix_cache, prefix);
  add_speculative_options(cmd, o.spec, prefix);
}

std::string speculative_summary(const net::ChatBackend& backend) {
  const auto l = backend.engine_load();
  if (!l || !l->speculative) return "";
  return engine::draft_summary({l->draft_steps, l->drafted, l->draft_accepted});
}

std::string decode_sharing_summary(const net::ChatBackend& backend) {
  const auto l = backend.engine_load();
  if (!l || l->decode_steps == 0) return "";
  const double per_step = static_cast<double>(l->decode_rows) / static_cast<double>(l->decode_steps);
  std::string line = fmt::format("decode: {} steps, {:.2f} sequences per step on average, at most {}",
                                 l->decode_steps, per_step, l->max_decode_seqs);
  if (l->decode_only_seconds > 0)
    line +=
        fmt::format("; {:.1f} tokens/s aggregate in the steps without prompt chunks ({} tokens, {:.1f} s)",
                    static_cast<double>(l->decode_only_tokens) / l->decode_only_seconds,
                    l->decode_only_tokens, l->decode_only_seconds);
  return line;
}

std::string kv_cache_summary(const net::ChatBackend& backend) {
  const auto kv = backend.kv_cache_info();
  if (!kv) return "";
  constexpr double MiB = 1 << 20;
  return fmt::format(
      "KV cache: {}, {:.1f} KiB per token; {:.1f} MiB written (each slot's longest sequence) of {:.1f} MiB "
      "reserved (address space, committed as written)",
      kv->type, static_cast<double>(kv->bytes_per_token) / 1024, static_cast<double>(kv->bytes_written) / MiB,
      static_cast<double>(kv->bytes) / MiB);
}

std::string resolved_base_url(const BackendOptions& o) {
  if (!o.base_url.empty()) return o.base_url;
  if (const char* env = std::getenv("OPENAI_BASE_URL")) return env;
  return "";
}

namespace {

bool looks_like_local_model(const std::string& model) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(model, ec)) return true;
  if (model.size() > 5 && model.compare(model.size() - 5, 5, ".gguf") == 0) return true;
  return model.rfind("/", 0) == 0 || model.rfind("./", 0) == 0 || model.rfind("../", 0) == 0 ||
         model.rfind("~", 0) == 0;
}

}  // namespace

std::unique_ptr<net::ChatBackend> make_backend(const BackendOptions& o, const std::string& prefix) {
  const std::string base = resolved_base_url(o);
  if (base.empty()) {
    if (o.model.empty())
      fail_input(
          "no model: give --{0}base-url URL --{0}model NAME for a server, or --{0}model PATH for a local "
          "model",
          prefix);
    if (looks_like_local_model(o.model)) return make_local_backend(o, prefix);
    fail_input(
        "--{0}model \"{1}\" is not a local model path, and no server is given: add --{0}base-url URL "
        "(or set $OPENAI_BASE_URL) to use it on a server",
        prefix, o.model);
  }
  net::ClientOptions c;
  c.base_urls = net::split_base_urls(base);
  c.api_key = net::load_api_key(o.api_key_file);
  c.default_model = o.model;
  c.concurrency = o.concurrency;
  c.connect_timeout_s = o.connect_timeout_s;
  c.timeout_s = o.timeout_s;
  c.max_retries = o.max_retries;
  c.backoff_base_s = o.backoff_base_s;
  c.backoff_cap_s = o.backoff_cap_s;
  auto client = std::make_unique<net::OpenAIClient>(std::move(c));
  log::debug("model backend: {}", client->describe());
  return client;
}

// ---------------------------------------------------------------------------------------------
// LOCAL ENGINE BRANCH: the in-process engine (serve/local_backend.hpp) loads o.model (directory or
// .gguf) with o.format and o.threads; --concurrency sequences are decoded together.
std::unique_ptr<net::ChatBackend> make_local_backend(const BackendOptions& o, const std::string& prefix) {
  (void)prefix;
  serve::LocalOptions lo;
  lo.format = o.format;
  lo.threads = o.threads;
  lo.kv_dtype = engine::parse_kv_dtype(o.kv_cache);
  lo.parallel = std::clamp(o.concurrency, 1, 64);
  lo.prefix_cache = !o.no_prefix_cache;
  lo.draft = draft_options(o.spec);
  lo.draft_model = o.spec.draft_model;
  auto backend = serve::make_local_backend(o.model, lo);
  log::debug("model backend: {}", backend->describe());
  return backend;
}
// ---------------------------------------------------------------------------------------------

}  // namespace lw::apps
