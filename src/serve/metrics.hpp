#pragma once
// The server's Prometheus metrics (GET /metrics, text exposition format 0.0.4), names under the
// "longwriter:" prefix following llama-server's and vLLM's where they overlap (docs/serve.md has
// the table with each one's llama.cpp / vLLM counterpart):
//
//   longwriter:requests_total{endpoint,status}   counter  HTTP requests answered by the router
//   longwriter:prompt_tokens_total                counter  prompt tokens of completed chat requests
//   longwriter:generation_tokens_total            counter  tokens generated for them
//   longwriter:prompt_seconds_total               counter  time to first token (queue + prefill)
//   longwriter:tokens_predicted_seconds_total     counter  decode time after the first token
//   longwriter:num_requests_running / _waiting    gauge    sequences in a KV slot / queued for one
//   longwriter:prefix_cache_queries_total         counter  prompt tokens looked up in the prefix cache
//   longwriter:prefix_cache_hits_total            counter  ... of which were found (not computed)
//   longwriter:kv_cache_tokens / _capacity_tokens gauge    KV cells holding a token / reserved
//   longwriter:kv_cache_usage_ratio               gauge    the two divided
//
// Counting is thread-safe; render() reads the engine's gauges through the backend.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "net/chat.hpp"

namespace lw::serve {

class ServerMetrics {
 public:
  // One answered request: path is folded into a known endpoint label (or "other").
  void count_request(std::string_view path, int status);
  // One completed chat request's usage and time split.
  void count_completion(const net::ChatResponse& r);

  // The exposition text: every metric with # HELP and # TYPE lines. Engine gauges and the prefix
  // cache counters appear when the backend provides them (the in-process engine always does).
  std::string render(const std::optional<net::EngineLoad>& load,
                     const std::optional<net::CacheStats>& cache) const;

  // The label value a path is counted under: the served routes, else "other" (bounded cardinality).
  static std::string endpoint_label(std::string_view path);

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  int64_t prompt_tokens_ = 0, generation_tokens_ = 0;
  double prompt_seconds_ = 0, decode_seconds_ = 0;
};

// A label value escaped for the exposition format (backslash, double quote, newline).
std::string prometheus_label_escape(std::string_view value);

}  // namespace lw::serve
