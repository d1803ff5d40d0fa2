#pragma once
// Selection rules for `agentwrite select`. A rules file is UTF-8 text:
//
//   # a comment (also after whitespace at the start of a line)
//   [drop toxic]          a section: "drop" or "keep", then a name used in the report
//   bomb-making           a phrase, matched case-insensitively; at an ASCII letter or digit edge the
//                         phrase must start/end a word ("war" does not match "software")
//   crawl*                a trailing * matches any word ending ("crawl", "crawler", "crawling")
//   re:\b\d+\s*urls?\b    a PCRE2 regular expression (case-insensitive, Unicode)
//   爬取                  CJK phrases match anywhere
//
// Instructions matching a [drop NAME] rule are dropped with reason "rule: NAME"; [keep NAME]
// rules mark long-form kinds (novel, report, thesis...) that imply a long output.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text/regex.hpp"

namespace lw::agentwrite {

struct Rule {
  bool drop = true;
  std::string section;  // the NAME of its [drop NAME] / [keep NAME] section
  std::string source;   // the line as written, for reports
  std::string where;    // "file:line"
  std::shared_ptr<const text::Regex> regex;
};

class RuleSet {
 public:
  // Parses rules text; `name` is used in error messages (file name). Throws InputError naming
  // name:line for a rule outside a section, a bad section header or a bad regular expression.
  void add(std::string_view text, const std::string& name);
  void add_file(const std::string& path);
  // The shipped defaults (data/rules/*.rules, compiled in).
  void add_defaults();

  // The first matching rule of the given kind, or nullptr.
  const Rule* first_match(std::string_view text, bool drop) const;
  const std::vector<Rule>& rules() const { return rules_; }

 private:
  std::vector<Rule> rules_;
};

// The compiled-in text of data/rules/*.rules.
const char* default_rules_text();

}  // namespace lw::agentwrite
