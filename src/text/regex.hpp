#pragma once
// The project's one PCRE2 wrapper (UTF-8, Unicode properties, JIT where available): the
// pre-tokenizer's split patterns, the word counter, the plan parser, the cleaner, the selection
// rules and the demo's BPE trainer all match through it. A compiled Regex is immutable and safe to
// share between threads; matching uses per-thread match data and a JIT stack large enough for long
// runs (100,000 repeated characters), falling back to the interpreter when the JIT hits a limit.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lw::text {

struct RegexMatch {
  // (begin, end) byte offsets of the whole match [0] and each group; npos when a group did not take part.
  std::vector<std::pair<size_t, size_t>> groups;
  size_t begin() const { return groups[0].first; }
  size_t end() const { return groups[0].second; }
  bool has(size_t g) const { return g < groups.size() && groups[g].first != std::string_view::npos; }
  std::string_view group(std::string_view subject, size_t g) const;
};

struct RegexOptions {
  bool caseless = false;
  std::string what = "pattern";  // named in the compile error, e.g. "rules.txt:12"
};

class Regex {
 public:
  // Throws InputError naming `what`, the offset and PCRE2's message when the pattern does not compile.
  explicit Regex(std::string pattern, RegexOptions options = {});
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // The first match at or after `start`: [mb, me). False when there is none (or, on pathological
  // input, when PCRE2 gives up on a resource limit: logged as a warning).
  bool find(std::string_view subject, size_t start, size_t& mb, size_t& me) const;
  // The same with every capture group.
  bool search(std::string_view subject, RegexMatch& m, size_t start = 0) const;
  bool contains(std::string_view subject) const;
  // Replaces every match with `replacement` (literal text).
  std::string replace_all(std::string_view subject, std::string_view replacement) const;
  const std::string& pattern() const { return pattern_; }

 private:
  int match(std::string_view subject, size_t start) const;  // PCRE2's rc into the thread's match data
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*
};

}  // namespace lw::text
