#include "serve/metrics.hpp"

#include <fmt/format.h>

namespace lw::serve {

namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, std::string_view name, int64_t v) {
  out += fmt::format("{} {}\n", name, v);
}
void sample(std::string& out, std::string_view name, double v) {
  out += fmt::format("{} {}\n", name, v);
}

}  // namespace

std::string prometheus_label_escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string ServerMetrics::endpoint_label(std::string_view path) {
  for (std::string_view known : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/metrics"})
    if (path == known) return std::string(known);
  return "other";
}

void ServerMetrics::count_request(std::string_view path, int status) {
  std::lock_guard lk(mu_);
  ++requests_[{endpoint_label(path), status}];
}

void ServerMetrics::count_completion(const net::ChatResponse& r) {
  std::lock_guard lk(mu_);
  prompt_tokens_ += r.usage.prompt_tokens;
  generation_tokens_ += r.usage.completion_tokens;
  prompt_seconds_ += r.prefill_seconds;
  decode_seconds_ += r.decode_seconds;
}

std::string ServerMetrics::render(const std::optional<net::EngineLoad>& load,
                                  const std::optional<net::CacheStats>& cache) const {
  std::string out;
  {
    std::lock_guard lk(mu_);
    family(out, "longwriter:requests_total", "counter",
           "HTTP requests answered, by endpoint and status code.");
    for (const auto& [key, n] : requests_)
      out += fmt::format("longwriter:requests_total{{endpoint=\"{}\",status=\"{}\"}} {}\n",
                         prometheus_label_escape(key.first), key.second, n);
    family(out, "longwriter:prompt_tokens_total", "counter", "Prompt tokens of completed chat requests.");
    sample(out, "longwriter:prompt_tokens_total", prompt_tokens_);
    family(out, "longwriter:generation_tokens_total", "counter",
           "Tokens generated for completed chat requests.");
    sample(out, "longwriter:generation_tokens_total", generation_tokens_);
    family(out, "longwriter:prompt_seconds_total", "counter",
           "Seconds from submission to the first token (queue wait + prefill) of completed chat requests.");
    sample(out, "longwriter:prompt_seconds_total", prompt_seconds_);
    family(out, "longwriter:tokens_predicted_seconds_total", "counter",
           "Seconds spent decoding after the first token, completed chat requests.");
    sample(out, "longwriter:tokens_predicted_seconds_total", decode_seconds_);
  }
  if (load) {
    family(out, "longwriter:num_requests_running", "gauge",
           "Sequences in a KV cache slot (being prefilled or decoded).");
    sample(out, "longwriter:num_requests_running", load->running);
    family(out, "longwriter:num_requests_waiting", "gauge", "Sequences queued for a free KV cache slot.");
    sample(out, "longwriter:num_requests_waiting", load->waiting);
    family(out, "longwriter:kv_cache_tokens", "gauge",
           "KV cache cells holding a token (running sequences and prefixes kept for reuse).");
    sample(out, "longwriter:kv_cache_tokens", load->kv_cells_used);
    family(out, "longwriter:kv_cache_capacity_tokens", "gauge", "KV cache cells reserved (slots x context).");
    sample(out, "longwriter:kv_cache_capacity_tokens", load->kv_cells_total);
    family(out, "longwriter:kv_cache_usage_ratio", "gauge",
           "KV cache cells in use divided by those reserved (0 to 1).");
    sample(out, "longwriter:kv_cache_usage_ratio",
           load->kv_cells_total > 0
               ? static_cast<double>(load->kv_cells_used) / static_cast<double>(load->kv_cells_total)
               : 0.0);
  }
  if (cache) {
    family(out, "longwriter:prefix_cache_queries_total", "counter",
           "Prompt tokens of sequences started, looked up in the prefix cache.");
    sample(out, "longwriter:prefix_cache_queries_total", cache->prompt_tokens);
    family(out, "longwriter:prefix_cache_hits_total", "counter",
           "Prompt tokens taken from the prefix cache instead of being computed.");
    sample(out, "longwriter:prefix_cache_hits_total", cache->cached_tokens);
  }
  return out;
}

}  // namespace lw::serve
