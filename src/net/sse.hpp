#pragma once
// Incremental Server-Sent Events parser: bytes arrive in arbitrary pieces, complete events come
// out. An event's data is its "data:" lines joined by '\n'; a blank line ends the event. Comment
// lines (":"), "event:", "id:" and "retry:" fields are ignored. Lines may end in \n, \r\n or \r.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace lw::net {

class SseParser {
 public:
  // Called with the data of each complete event; returns false to stop parsing.
  using OnEvent = std::function<bool(const std::string& data)>;

  // max_event_bytes bounds one event (a line without an end, or a huge event, is a ProtocolError).
  explicit SseParser(OnEvent on_event, size_t max_event_bytes = 8u << 20)
      : on_event_(std::move(on_event)), max_event_bytes_(max_event_bytes) {}

  // Feeds bytes. Returns false once on_event has returned false (the rest is ignored).
  bool feed(std::string_view bytes);
  // Ends the input: an event not followed by a blank line is still delivered (servers that close
  // right after the last data line). Returns false if on_event returned false.
  bool finish();
  bool stopped() const { return stopped_; }

 private:
  void line(std::string_view l);
  void dispatch();

  OnEvent on_event_;
  size_t max_event_bytes_;
  std::string partial_;  // bytes of an unfinished line
  std::string data_;     // data of the event being built
  bool has_data_ = false;
  bool last_was_cr_ = false;
  bool stopped_ = false;
};

}  // namespace lw::net
