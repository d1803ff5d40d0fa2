#pragma once
// A small PCRE2 wrapper (UTF-8, Unicode properties) for the plan parser, the cleaner and the
// selection rules. Compiled patterns are immutable and safe to share between threads.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lw::agentwrite {

struct RegexMatch {
  // (begin, end) byte offsets of the whole match [0] and each group; npos when a group did not take part.
  std::vector<std::pair<size_t, size_t>> groups;
  size_t begin() const { return groups[0].first; }
  size_t end() const { return groups[0].second; }
  bool has(size_t g) const { return g < groups.size() && groups[g].first != std::string_view::npos; }
  std::string_view group(std::string_view subject, size_t g) const;
};

class Regex {
 public:
  // Throws InputError (naming `what`, e.g. "rules.txt:12") when the pattern does not compile.
  explicit Regex(std::string_view pattern, bool caseless = true, const std::string& what = "pattern");
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  bool search(std::string_view subject, RegexMatch& m, size_t start = 0) const;
  bool contains(std::string_view subject) const;
  // Replaces every match with `replacement` (literal text).
  std::string replace_all(std::string_view subject, std::string_view replacement) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lw::agentwrite
