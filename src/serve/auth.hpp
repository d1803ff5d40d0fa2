#pragma once
// API keys for `serve` (issue 27): requests must carry `Authorization: Bearer KEY` with one of the
// server's keys. Keys come from --api-key-file (one per line; blank lines and lines starting with
// '#' ignored; surrounding whitespace trimmed) and from $LONGWRITER_API_KEY. Every key is registered
// with the log's redaction (util/log.hpp) as it is loaded, so no log line can show one.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::serve {

class ApiKeys {
 public:
  ApiKeys() = default;
  explicit ApiKeys(std::vector<std::string> keys);

  // Keys from `file` (when not empty) and from the environment variable `env_var` (when set and not
  // empty). Throws InputError for a file that cannot be read or holds no key, or a key with spaces
  // or control characters in it.
  static ApiKeys load(const std::filesystem::path& file, const char* env_var = "LONGWRITER_API_KEY");
  // The keys of a key file's text (see above); `source` names it in errors.
  static std::vector<std::string> parse(std::string_view text, const std::string& source);

  bool enabled() const { return !keys_.empty(); }
  size_t size() const { return keys_.size(); }

  // Whether an Authorization header value grants access: "Bearer KEY" (scheme without case) with
  // KEY equal to one of the keys. Compares against every key, each in time that depends only on
  // the length of what the client sent, so timing tells nothing about the keys.
  bool authorized(std::string_view authorization) const;

 private:
  std::vector<std::string> keys_;
};

// Equality in time that depends only on given.size(): no early exit on the first difference.
bool constant_time_equal(std::string_view given, std::string_view expected);

// OpenAI's 401 body: {"error":{"message", "type":"invalid_request_error", "param":null,
// "code":"invalid_api_key"}}. `missing`: no Authorization header at all (the message says so).
nlohmann::json unauthorized_json(bool missing);

}  // namespace lw::serve
