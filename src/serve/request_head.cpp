#include "serve/request_head.hpp"

#include <fmt/format.h>

namespace lw::serve {

namespace {

RequestHead reject(int status, std::string message) {
  RequestHead h;
  h.state = RequestHead::State::reject;
  h.status = status;
  h.message = std::move(message);
  return h;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The end of the head: the offset just past the first empty line (CRLF CRLF, or bare LFs).
size_t head_end(std::string_view data) {
  for (size_t i = data.find('\n'); i != std::string_view::npos; i = data.find('\n', i + 1)) {
    size_t j = i + 1;
    if (j < data.size() && data[j] == '\r') ++j;
    if (j < data.size() && data[j] == '\n') return j + 1;
  }
  return std::string_view::npos;
}

}  // namespace

const char* status_reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

RequestHead examine_request_head(std::string_view data, const HeadLimits& limits) {
  const size_t end = head_end(data);
  if (end == std::string_view::npos) {
    if (data.size() > limits.max_head_bytes)
      return reject(431, fmt::format("request head larger than {} bytes", limits.max_head_bytes));
    return {};
  }
  if (end > limits.max_head_bytes)
    return reject(431, fmt::format("request head larger than {} bytes", limits.max_head_bytes));

  RequestHead h;
  std::string_view head = data.substr(0, end);
  size_t pos = 0;
  auto next_line = [&](size_t& begin) -> std::string_view {
    begin = pos;
    size_t nl = head.find('\n', pos);
    std::string_view line = head.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  size_t line_begin = 0;
  std::string_view request_line = next_line(line_begin);
  // METHOD SP TARGET SP HTTP/1.x
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1)
    return reject(400, "malformed request line (expected METHOD TARGET HTTP/1.1)");
  const std::string_view method = request_line.substr(0, sp1);
  const std::string_view version = request_line.substr(sp2 + 1);
  for (char c : method)
    if (!is_token_char(c)) return reject(400, "malformed request line: invalid method");
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return reject(400, "malformed request line: expected HTTP/1.1 or HTTP/1.0");

  bool has_length = false, chunked = false;
  uint64_t length = 0;
  while (pos < head.size()) {
    std::string_view line = next_line(line_begin);
    if (line.empty()) break;  // the blank line ending the head
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return reject(400, "malformed header line (expected Name: value)");
    const std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!is_token_char(c)) return reject(400, "malformed header name");
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      if (value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != std::string_view::npos)
        return reject(400, fmt::format("invalid Content-Length \"{}\" (expected a non-negative integer)",
                                       value.substr(0, 40)));
      uint64_t v = 0;
      for (char c : value) v = v * 10 + static_cast<uint64_t>(c - '0');
      if (has_length && v != length) return reject(400, "conflicting Content-Length headers");
      has_length = true;
      length = v;
    } else if (iequals(name, "Transfer-Encoding")) {
      chunked = true;
    } else if (iequals(name, "Expect")) {
      if (!iequals(value, "100-continue")) return reject(400, "unsupported Expect header");
      h.expect_continue = true;
      h.expect_begin = line_begin;
      h.expect_end = pos;
    }
  }
  if (chunked && has_length) return reject(400, "both Transfer-Encoding and Content-Length given");
  if (chunked)
    return reject(411, "request bodies must be sent with Content-Length (chunked uploads are not accepted)");
  const bool wants_body = method == "POST" || method == "PUT" || method == "PATCH";
  if (wants_body && !has_length) return reject(411, "a request body needs a Content-Length header");
  if (length > limits.max_body_bytes)
    return reject(413, fmt::format("request body of {} bytes exceeds the limit of {} bytes", length,
                                   limits.max_body_bytes));
  h.state = RequestHead::State::complete;
  h.head_bytes = end;
  h.body_bytes = length;
  return h;
}

}  // namespace lw::serve
