// ClientOptions helpers: base-URL lists, the API key, URLs fit for logs.
#include <cstdlib>

#include "io/file.hpp"
#include "net/openai_client.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::net {
namespace {

std::string trim(std::string s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && blank(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && blank(s[i])) ++i;
  return s.substr(i);
}

}  // namespace

std::vector<std::string> split_base_urls(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string u = trim(list.substr(start, comma - start));
    while (!u.empty() && u.back() == '/') u.pop_back();
    if (!u.empty()) {
      if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0)
        fail_input("--base-url: expected http://HOST:PORT/v1 or https://...; got \"{}\"", display_url(u));
      out.push_back(u);
    }
    start = comma + 1;
  }
  if (out.empty()) fail_input("--base-url: no URL given (expected e.g. http://127.0.0.1:8000/v1)");
  return out;
}

std::string load_api_key(const std::string& key_file) {
  std::string key;
  if (!key_file.empty()) {
    key = trim(io::read_file(key_file));
    if (key.empty()) fail_input("--api-key-file {}: the file is empty (expected the API key)", key_file);
    if (key.find_first_of("\r\n") != std::string::npos)
      fail_input("--api-key-file {}: expected one line holding the API key", key_file);
  } else if (const char* env = std::getenv("OPENAI_API_KEY")) {
    key = trim(env);
  }
  log::add_secret(key);
  return key;
}

std::string display_url(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t host = scheme + 3;
  size_t end = url.find_first_of("/?#", host);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

}  // namespace lw::net
