#pragma once
// Retry policy of the client: which failures are retried, and how long to wait before the next try.
#include <optional>
#include <random>
#include <string_view>

namespace lw::net {

// Exponential backoff with jitter for retry number `attempt` (0 = first retry): the ceiling
// d = min(cap, base * 2^attempt), and the delay is drawn uniformly from [d/2, d] so that many
// clients that failed together do not come back together.
double backoff_delay_s(int attempt, double base_s, double cap_s, std::mt19937_64& rng);

// Parses a Retry-After header value: delay-seconds ("120", "1.5") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", relative to now_unix_s). Empty or unparsable: nullopt.
// Dates in the past give 0.
std::optional<double> parse_retry_after(std::string_view value, double now_unix_s);

// HTTP statuses worth retrying: 408, 409 (vLLM/OpenAI use it for transient conflicts), 429, 5xx.
bool is_retryable_status(int status);

}  // namespace lw::net
