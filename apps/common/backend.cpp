#include "common/backend.hpp"

#include <cstdlib>

#include "util/error.hpp"

namespace lw::apps {

void add_backend_options(CLI::App* cmd, BackendOptions& o, const std::string& prefix) {
  const std::string p = "--" + prefix;
  cmd->add_option(p + "base-url", o.base_url,
                  "OpenAI-compatible server URL(s), comma-separated (round-robin with failover), e.g.\n"
                  "http://127.0.0.1:8000/v1. Default: $OPENAI_BASE_URL. With it, --" + prefix +
                      "model names the server's model; without it, --" + prefix + "model is a local model path");
  cmd->add_option(p + "model", o.model, "Model name on the server, or a local model directory / .gguf file");
  cmd->add_option(p + "api-key-file", o.api_key_file,
                  "File holding the API key (default: $OPENAI_API_KEY). The key is never printed or logged");
  cmd->add_option(p + "concurrency", o.concurrency, "Requests in flight at once")->capture_default_str();
  cmd->add_option(p + "timeout", o.timeout_s, "Seconds allowed for one request")->capture_default_str();
  cmd->add_option(p + "retries", o.max_retries, "Retries on connect errors, timeouts, 429 and 5xx")
      ->capture_default_str();
}

std::unique_ptr<net::ChatBackend> make_backend(const BackendOptions& o, const std::string& prefix) {
  std::string base = o.base_url;
  if (base.empty()) {
    if (const char* env = std::getenv("OPENAI_BASE_URL")) base = env;
  }
  if (base.empty() && o.model.empty())
    fail_input("no model: give --{0}base-url URL --{0}model NAME for a server, or --{0}model PATH for a local model",
               prefix);
  fail("the OpenAI-compatible client is not built yet");
}

}  // namespace lw::apps
