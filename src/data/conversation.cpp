#include "data/conversation.hpp"

#include "util/error.hpp"

namespace lw::data {

std::string remove_zero_width(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    if (i + 2 < s.size()) {
      // U+200B..U+200D = E2 80 8B..8D; U+FEFF = EF BB BF.
      if (b(0) == 0xE2 && b(1) == 0x80 && b(2) >= 0x8B && b(2) <= 0x8D) {
        i += 3;
        continue;
      }
      if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) {
        i += 3;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

std::vector<tok::ChatMessage> parse_messages(const nlohmann::json& record, const std::string& where) {
  if (!record.is_object()) fail_input("{}: expected a JSON object with \"messages\"", where);
  auto it = record.find("messages");
  if (it == record.end()) fail_input("{}: missing field \"messages\"", where);
  if (!it->is_array()) fail_input("{}: field \"messages\": expected array", where);
  std::vector<tok::ChatMessage> out;
  out.reserve(it->size());
  size_t i = 0;
  for (const auto& m : *it) {
    if (!m.is_object()) fail_input("{}: messages[{}]: expected object", where, i);
    auto r = m.find("role");
    auto c = m.find("content");
    if (r == m.end() || !r->is_string()) fail_input("{}: messages[{}].role: expected string", where, i);
    if (c == m.end() || !c->is_string()) fail_input("{}: messages[{}].content: expected string", where, i);
    std::string role = r->get<std::string>();
    if (role != "system" && role != "user" && role != "assistant")
      fail_input("{}: messages[{}].role: \"{}\" is not system, user or assistant", where, i, role);
    out.push_back({std::move(role), c->get<std::string>()});
    ++i;
  }
  return out;
}

Overflow parse_overflow(std::string_view name) {
  if (name == "skip") return Overflow::skip;
  if (name == "truncate-right") return Overflow::truncate_right;
  if (name == "truncate-left") return Overflow::truncate_left;
  fail_input("unknown overflow mode \"{}\" (expected skip, truncate-right or truncate-left)", name);
}

std::string overflow_name(Overflow o) {
  switch (o) {
    case Overflow::skip: return "skip";
    case Overflow::truncate_right: return "truncate-right";
    case Overflow::truncate_left: return "truncate-left";
  }
  return "?";
}

Sequence make_sequence(std::vector<tok::ChatMessage> messages, const tok::ChatFormat& format, int64_t max_len,
                       Overflow overflow) {
  Sequence s;
  bool any_assistant = false;
  for (auto& m : messages) {
    if (m.role == "assistant") {
      m.content = remove_zero_width(m.content);
      any_assistant = true;
    }
  }
  if (!any_assistant) {
    s.skip_reason = "no_assistant";
    return s;
  }
  tok::RenderedChat r = format.render(messages);
  auto n = static_cast<int64_t>(r.ids.size());
  size_t begin = 0, end = r.ids.size();
  if (n > max_len) {
    if (overflow == Overflow::skip) {
      s.skip_reason = "too_long";
      return s;
    }
    s.truncated = true;
    if (overflow == Overflow::truncate_right) {
      end = static_cast<size_t>(max_len);
    } else {
      begin = static_cast<size_t>(n - max_len);
    }
  }
  s.ids.assign(r.ids.begin() + begin, r.ids.begin() + end);
  s.labels.assign(r.labels.begin() + begin, r.labels.begin() + end);
  for (uint8_t l : s.labels) s.n_labelled += l;
  if (s.n_labelled == 0) {
    s.skip_reason = s.truncated ? "no_labels_after_truncation" : "no_assistant";
    s.ids.clear();
    s.labels.clear();
  }
  return s;
}

}  // namespace lw::data
