#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/regex.hpp"

#include <pcre2.h>

#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::text {

namespace {

constexpr uint32_t kMaxPairs = 64;  // capture groups + 1 the per-thread match data holds

// Per-thread matching state shared by all patterns.
struct ThreadState {
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mc = nullptr;
  pcre2_jit_stack* js = nullptr;
  ThreadState() {
    md = pcre2_match_data_create(kMaxPairs, nullptr);
    mc = pcre2_match_context_create(nullptr);
    js = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    if (mc && js) pcre2_jit_stack_assign(mc, nullptr, js);
    if (!md || !mc) fail("PCRE2: out of memory for match data");
  }
  ~ThreadState() {
    if (js) pcre2_jit_stack_free(js);
    if (mc) pcre2_match_context_free(mc);
    if (md) pcre2_match_data_free(md);
  }
};

ThreadState& thread_state() {
  thread_local ThreadState st;
  return st;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof(buf));
  return reinterpret_cast<const char*>(buf);
}

}  // namespace

std::string_view RegexMatch::group(std::string_view subject, size_t g) const {
  if (!has(g)) return {};
  return subject.substr(groups[g].first, groups[g].second - groups[g].first);
}

Regex::Regex(std::string pattern, RegexOptions options) : pattern_(std::move(pattern)) {
  int err = 0;
  PCRE2_SIZE off = 0;
  uint32_t flags = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (options.caseless) flags |= PCRE2_CASELESS;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(), flags,
                                   &err, &off, nullptr);
  if (!code)
    fail_input("{}: regular expression /{}/ does not compile at offset {}: {}", options.what, pattern_,
               static_cast<size_t>(off), pcre2_message(err));
  uint32_t groups = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
  if (groups + 1 > kMaxPairs) {
    pcre2_code_free(code);
    fail_input("{}: regular expression /{}/ has {} capture groups (at most {})", options.what, pattern_,
               groups, kMaxPairs - 1);
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // the interpreter runs where the JIT is absent
  code_ = code;
}

Regex::~Regex() {
  pcre2_code_free(static_cast<pcre2_code*>(code_));
}
Regex::Regex(Regex&& o) noexcept : pattern_(std::move(o.pattern_)), code_(std::exchange(o.code_, nullptr)) {}
Regex& Regex::operator=(Regex&& o) noexcept {
  if (this != &o) {
    pcre2_code_free(static_cast<pcre2_code*>(code_));
    pattern_ = std::move(o.pattern_);
    code_ = std::exchange(o.code_, nullptr);
  }
  return *this;
}

int Regex::match(std::string_view subject, size_t start) const {
  ThreadState& st = thread_state();
  auto* code = static_cast<pcre2_code*>(code_);
  auto subj = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = pcre2_match(code, subj, subject.size(), start, 0, st.md, st.mc);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
    rc = pcre2_match(code, subj, subject.size(), start, PCRE2_NO_JIT, st.md, nullptr);
  if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
    log::warn("regular expression /{}/ failed ({}) on {} bytes; treated as no match", pattern_,
              pcre2_message(rc), subject.size() - start);
  return rc;
}

bool Regex::find(std::string_view subject, size_t start, size_t& mb, size_t& me) const {
  if (start > subject.size() || match(subject, start) < 0) return false;
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(thread_state().md);
  mb = ov[0];
  me = ov[1];
  return true;
}

bool Regex::search(std::string_view subject, RegexMatch& m, size_t start) const {
  if (start > subject.size()) return false;
  const int rc = match(subject, start);
  if (rc < 0) return false;
  uint32_t groups = 0;
  pcre2_pattern_info(static_cast<pcre2_code*>(code_), PCRE2_INFO_CAPTURECOUNT, &groups);
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(thread_state().md);
  m.groups.clear();
  for (uint32_t i = 0; i <= groups; ++i) {
    if (static_cast<int>(i) >= rc || ov[2 * i] == PCRE2_UNSET)
      m.groups.emplace_back(std::string_view::npos, std::string_view::npos);
    else
      m.groups.emplace_back(ov[2 * i], ov[2 * i + 1]);
  }
  return true;
}

bool Regex::contains(std::string_view subject) const {
  size_t b = 0, e = 0;
  return find(subject, 0, b, e);
}

std::string Regex::replace_all(std::string_view subject, std::string_view replacement) const {
  std::string out;
  size_t pos = 0, b = 0, e = 0;
  while (pos <= subject.size() && find(subject, pos, b, e)) {
    out.append(subject.substr(pos, b - pos));
    out.append(replacement);
    if (e == b) {  // an empty match: keep the next byte and step past it
      if (e >= subject.size()) {
        pos = subject.size() + 1;
        break;
      }
      out.push_back(subject[e]);
      pos = e + 1;
    } else {
      pos = e;
    }
  }
  if (pos < subject.size()) out.append(subject.substr(pos));
  return out;
}

}  // namespace lw::text
