#include "agentwrite/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/error.hpp"

namespace lw::agentwrite {

struct Regex::Impl {
  pcre2_code* code = nullptr;
  ~Impl() { pcre2_code_free(code); }
};

std::string_view RegexMatch::group(std::string_view subject, size_t g) const {
  if (!has(g)) return {};
  return subject.substr(groups[g].first, groups[g].second - groups[g].first);
}

Regex::Regex(std::string_view pattern, bool caseless, const std::string& what) : impl_(std::make_unique<Impl>()) {
  int err = 0;
  PCRE2_SIZE off = 0;
  uint32_t flags = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (caseless) flags |= PCRE2_CASELESS;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), flags, &err, &off, nullptr);
  if (!impl_->code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    fail_input("{}: invalid regular expression at offset {}: {}", what, static_cast<size_t>(off),
               reinterpret_cast<const char*>(buf));
  }
  pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE);
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

bool Regex::search(std::string_view subject, RegexMatch& m, size_t start) const {
  if (start > subject.size()) return false;
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
      pcre2_match_data_create_from_pattern(impl_->code, nullptr), &pcre2_match_data_free);
  int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), start, 0, md.get(),
                       nullptr);
  if (rc < 0) return false;
  uint32_t n = pcre2_get_ovector_count(md.get());
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
  m.groups.clear();
  for (uint32_t i = 0; i < n; ++i) {
    if (ov[2 * i] == PCRE2_UNSET || static_cast<int>(i) >= rc)
      m.groups.emplace_back(std::string_view::npos, std::string_view::npos);
    else
      m.groups.emplace_back(ov[2 * i], ov[2 * i + 1]);
  }
  return true;
}

bool Regex::contains(std::string_view subject) const {
  RegexMatch m;
  return search(subject, m);
}

std::string Regex::replace_all(std::string_view subject, std::string_view replacement) const {
  std::string out;
  size_t pos = 0;
  RegexMatch m;
  while (pos <= subject.size() && search(subject, m, pos)) {
    out.append(subject.substr(pos, m.begin() - pos));
    out.append(replacement);
    if (m.end() == m.begin()) {
      if (m.end() >= subject.size()) {
        pos = subject.size() + 1;
        break;
      }
      out.push_back(subject[m.end()]);
      pos = m.end() + 1;
    } else {
      pos = m.end();
    }
  }
  if (pos < subject.size()) out.append(subject.substr(pos));
  return out;
}

}  // namespace lw::agentwrite
