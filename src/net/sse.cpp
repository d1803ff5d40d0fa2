#include "net/sse.hpp"

#include "net/errors.hpp"

namespace lw::net {

bool SseParser::feed(std::string_view bytes) {
  size_t start = 0;
  for (size_t i = 0; i < bytes.size() && !stopped_; ++i) {
    char c = bytes[i];
    if (c != '\n' && c != '\r') {
      last_was_cr_ = false;
      continue;
    }
    if (c == '\n' && last_was_cr_ && start == i && partial_.empty()) {
      // The \n of a \r\n pair whose \r already ended the line.
      start = i + 1;
      last_was_cr_ = false;
      continue;
    }
    last_was_cr_ = (c == '\r');
    if (partial_.empty()) {
      line(bytes.substr(start, i - start));
    } else {
      partial_.append(bytes.substr(start, i - start));
      std::string l;
      l.swap(partial_);
      line(l);
    }
    start = i + 1;
  }
  if (!stopped_ && start < bytes.size()) {
    partial_.append(bytes.substr(start));
    if (partial_.size() + data_.size() > max_event_bytes_)
      throw ProtocolError("stream event larger than " + std::to_string(max_event_bytes_) + " bytes");
  }
  return !stopped_;
}

bool SseParser::finish() {
  if (stopped_) return false;
  if (!partial_.empty()) {
    std::string l;
    l.swap(partial_);
    line(l);
  }
  if (!stopped_ && has_data_) dispatch();
  return !stopped_;
}

void SseParser::line(std::string_view l) {
  if (stopped_) return;
  if (l.empty()) {
    if (has_data_) dispatch();
    return;
  }
  if (l.front() == ':') return;  // comment / keep-alive
  size_t colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : l.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field != "data") return;
  if (has_data_) data_.push_back('\n');
  data_.append(value);
  has_data_ = true;
  if (data_.size() > max_event_bytes_)
    throw ProtocolError("stream event larger than " + std::to_string(max_event_bytes_) + " bytes");
}

void SseParser::dispatch() {
  std::string d;
  d.swap(data_);
  has_data_ = false;
  if (!on_event_(d)) stopped_ = true;
}

}  // namespace lw::net
