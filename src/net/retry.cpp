#include "net/retry.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace lw::net {

double backoff_delay_s(int attempt, double base_s, double cap_s, std::mt19937_64& rng) {
  double d = base_s * std::ldexp(1.0, std::clamp(attempt, 0, 60));
  d = std::min(d, cap_s);
  if (d <= 0) return 0;
  std::uniform_real_distribution<double> u(d / 2, d);
  return u(rng);
}

std::optional<double> parse_retry_after(std::string_view value, double now_unix_s) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' ||
                            value.back() == '\n'))
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  bool numeric = std::all_of(value.begin(), value.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (numeric) {
    try {
      double s = std::stod(std::string(value));
      if (!std::isfinite(s) || s < 0) return std::nullopt;
      return s;
    } catch (...) {
      return std::nullopt;
    }
  }
  time_t t = curl_getdate(std::string(value).c_str(), nullptr);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return std::max(0.0, static_cast<double>(t) - now_unix_s);
}

bool is_retryable_status(int status) { return status == 408 || status == 409 || status == 429 || status >= 500; }

}  // namespace lw::net
