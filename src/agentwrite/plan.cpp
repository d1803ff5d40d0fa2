#include "agentwrite/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "agentwrite/clean.hpp"
#include "agentwrite/length_request.hpp"
#include "text/regex.hpp"
#include "text/utf8.hpp"

namespace lw::agentwrite {
namespace {

using text::Regex;
using text::RegexMatch;

// The plan's labels are matched case-insensitively.
const text::RegexOptions kCaseless{true, "plan pattern"};

constexpr const char* kCnNum = "[0-9一二两三四五六七八九十百零〇]+";

struct Patterns {
  // Markdown decoration at the start of a line: headings, bullets, quotes.
  Regex lead{R"(^(?:\s*(?:#{1,6}|[-*+•·▪◦>]|\d+[.)、](?=\s*(?:paragraph|para|section|part|step|段落|第)))\s*)+)", kCaseless};
  // A step label at the start of a line; group 1 is its number.
  Regex label{fmt::format(
      R"(^(?:(?:paragraph|para\.?|section|part|step|subtask)\s*#?\s*(\d+)|段落\s*({0})|第\s*({0})\s*(?:段落?|部分|节|步)|(?:\(|（)?(\d{{1,2}})(?:\)|）|[.、:：](?!\d)))\s*(?:[-–—:：.、)）|]\s*)*)",
      kCnNum), kCaseless};
  Regex main_label{R"((?:main\s*points?|main\s*idea|key\s*points?|content|主要内容|内容要点|内容|要点)\s*[:：]\s*)", kCaseless};
  Regex count_label{
      R"((?:^|[\s\-–—,，;；(（|]+)(?:word\s*count(?:\s*requirement)?|words?|length|target\s*length|字数要求|字数|篇幅)\s*[:：]\s*)", kCaseless};
  Regex total_line{R"(^(?:total|overall|in\s+total|总字数|总计|合计))", kCaseless};
  Regex trailing_sep{R"([\s\-–—,，;；:：(（|]+$)", kCaseless};
  Regex number{R"(^\D{0,12}?(\d[\d,]*))", kCaseless};
};

const Patterns& pats() {
  static const Patterns p;
  return p;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (b < e && space(s[b])) ++b;
  while (e > b && space(s[e - 1])) --e;
  std::string out(s.substr(b, e - b));
  // Full-width spaces at the ends.
  const std::string ideo = "\u3000";
  while (out.rfind(ideo, 0) == 0) out.erase(0, ideo.size());
  while (out.size() >= ideo.size() && out.compare(out.size() - ideo.size(), ideo.size(), ideo) == 0)
    out.erase(out.size() - ideo.size());
  return out;
}

std::string strip_emphasis(std::string s) {
  for (const char* mark : {"**", "__"}) {
    size_t p;
    while ((p = s.find(mark)) != std::string::npos) s.erase(p, 2);
  }
  return s;
}

int64_t number_of_label(std::string_view s) {
  if (s.empty()) return -1;
  auto cps = text::decode(s);
  std::u32string u(cps.begin(), cps.end());
  return parse_chinese_number(u);
}

// Reads a word count from the text after a "Word Count:" label, or -1.
int64_t parse_count(std::string_view s) {
  auto mentions = find_length_mentions(s);
  if (!mentions.empty()) return mentions.front().words;
  RegexMatch m;
  if (pats().number.search(s, m)) {
    std::string digits;
    for (char c : m.group(s, 1))
      if (c != ',') digits += c;
    if (!digits.empty() && digits.size() < 9) return std::stoll(digits);
  }
  return -1;
}

struct Split {
  std::string main_point;
  int64_t words = -1;
  bool had_count = false;
};

// Splits a step body into main point and word count.
Split split_body(std::string body) {
  Split out;
  RegexMatch m;
  if (pats().count_label.search(body, m)) {
    out.had_count = true;
    out.words = parse_count(std::string_view(body).substr(m.end()));
    body = body.substr(0, m.begin());
  } else {
    // A trailing length with no label: "... (400 words)" or "... - 约800字".
    auto mentions = find_length_mentions(body);
    if (!mentions.empty() && body.size() - mentions.back().end <= 4) {
      out.had_count = true;
      out.words = mentions.back().words;
      body = body.substr(0, mentions.back().begin);
      for (const char* w : {"about", "around", "approximately", "approx.", "约", "大约", "左右"}) {
        std::string ws(w);
        if (body.size() >= ws.size() && body.compare(body.size() - ws.size(), ws.size(), ws) == 0)
          body.erase(body.size() - ws.size());
        body = trim(body);
      }
    }
  }
  if (pats().main_label.search(body, m) && m.begin() <= 16) body = body.substr(m.end());
  body = trim(body);
  if (out.had_count) body = pats().trailing_sep.replace_all(body, "");
  if (body.size() >= 2 && body.front() == '[' && body.back() == ']') body = body.substr(1, body.size() - 2);
  out.main_point = trim(body);
  return out;
}

bool looks_chinese(std::string_view text) {
  int64_t cjk = 0, ascii = 0;
  for (size_t i = 0; i < text.size();) {
    char32_t c = text::decode_one(text, i);
    if (c >= 0x4E00 && c <= 0x9FFF) ++cjk;
    else if ((c | 32) >= 'a' && (c | 32) <= 'z') ++ascii;
  }
  return cjk * 3 > ascii;
}

}  // namespace

int64_t Plan::total_words() const {
  int64_t t = 0;
  for (const auto& s : steps) t += s.words;
  return t;
}

PlanParse parse_plan(std::string_view text, int64_t target_words, const PlanLimits& limits) {
  PlanParse out;
  Plan& plan = out.plan;
  std::vector<int64_t> labels;
  bool open = false, drift_free = true;
  int outside = 0;
  size_t pos = 0;
  std::string clean_text = strip_invisible(text);
  std::string_view all(clean_text);
  while (pos <= all.size()) {
    size_t nl = all.find('\n', pos);
    if (nl == std::string_view::npos) nl = all.size();
    std::string line = trim(strip_emphasis(std::string(all.substr(pos, nl - pos))));
    pos = nl + 1;
    if (line.empty()) {
      open = false;  // a blank line ends a step: text after it is not its continuation
      continue;
    }
    RegexMatch m;
    if (pats().lead.search(line, m)) line = trim(line.substr(m.end()));
    if (line.empty() || line == "---" || line == "...") continue;
    if (pats().total_line.search(line, m)) continue;
    bool has_label = pats().label.search(line, m);
    if (has_label) {
      int64_t num = -1;
      for (size_t g = 1; g <= 4; ++g)
        if (m.has(g)) num = number_of_label(m.group(line, g));
      labels.push_back(num);
      Split sp = split_body(line.substr(m.end()));
      plan.steps.push_back({sp.main_point, sp.words > 0 ? sp.words : 0, sp.words > 0});
      open = true;
      continue;
    }
    bool has_main = pats().main_label.search(line, m) && m.begin() <= 4;
    bool continues_label_only = open && plan.steps.back().main_point.empty() && !plan.steps.back().words_given;
    if (has_main && !continues_label_only) {
      Split sp = split_body(line);
      labels.push_back(-1);
      plan.steps.push_back({sp.main_point, sp.words > 0 ? sp.words : 0, sp.words > 0});
      open = true;
      continue;
    }
    if (!open) {
      ++outside;
      continue;
    }
    PlanStep& st = plan.steps.back();
    Split sp = split_body(line);
    if (sp.had_count && !st.words_given && sp.words > 0) {
      st.words = sp.words;
      st.words_given = true;
    }
    if (!sp.main_point.empty()) st.main_point = st.main_point.empty() ? sp.main_point : st.main_point + " " + sp.main_point;
  }

  // Drop steps with nothing in them (a label alone with no point and no count).
  std::vector<PlanStep> kept;
  for (auto& s : plan.steps)
    if (!s.main_point.empty() || s.words_given) kept.push_back(std::move(s));
  if (kept.size() != plan.steps.size())
    plan.notes.push_back(fmt::format("dropped {} empty step(s)", plan.steps.size() - kept.size()));
  plan.steps = std::move(kept);

  if (outside > 0) plan.notes.push_back(fmt::format("ignored {} line(s) outside the steps", outside));
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] != static_cast<int64_t>(i + 1)) drift_free = false;
  if (!drift_free && !labels.empty()) {
    std::string seq;
    for (size_t i = 0; i < labels.size() && i < 12; ++i)
      seq += (i ? "," : "") + (labels[i] < 0 ? std::string("?") : std::to_string(labels[i]));
    if (labels.size() > 12) seq += ",...";
    plan.notes.push_back(fmt::format("numbering drift ({}): renumbered 1..{}", seq, plan.steps.size()));
  }

  if (plan.steps.empty()) {
    out.rejection = "no plan steps found";
    return out;
  }
  if (limits.trim_to_target && target_words > 0) {
    int64_t sum = 0;
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      if (plan.steps[i].words_given) sum += plan.steps[i].words;
      if (sum >= target_words && i + 1 < plan.steps.size()) {
        plan.notes.push_back(fmt::format("trimmed to the first {} of {} steps ({} words reach the {}-word target)",
                                         i + 1, plan.steps.size(), sum, target_words));
        plan.steps.resize(i + 1);
        break;
      }
    }
  }
  if (static_cast<int>(plan.steps.size()) > limits.max_steps) {
    out.rejection = fmt::format("{} steps is more than the limit of {}", plan.steps.size(), limits.max_steps);
    return out;
  }

  int64_t given_sum = 0, given_n = 0;
  for (const auto& s : plan.steps)
    if (s.words_given) {
      given_sum += s.words;
      ++given_n;
    }
  int64_t missing = static_cast<int64_t>(plan.steps.size()) - given_n;
  if (missing > 0) {
    int64_t share;
    std::string why;
    if (target_words > given_sum) {
      share = std::max<int64_t>(1, (target_words - given_sum) / missing);
      why = given_n ? fmt::format("the rest of the {}-word target shared evenly", target_words)
                    : fmt::format("the {}-word target shared evenly", target_words);
    } else if (given_n > 0) {
      share = std::max<int64_t>(1, given_sum / given_n);
      why = "the mean of the given counts";
    } else {
      share = limits.default_step_words;
      why = "the default, as the instruction gives no length";
    }
    for (auto& s : plan.steps)
      if (!s.words_given) s.words = share;
    plan.notes.push_back(
        fmt::format("{} step(s) had no word count: gave each {} words ({})", missing, share, why));
  }
  plan.chinese = looks_chinese(all);
  return out;
}

std::string format_step(const Plan& plan, size_t index, int64_t words) {
  const PlanStep& s = plan.steps.at(index);
  if (plan.chinese) return fmt::format("段落{} - 主要内容：{} - 字数要求：{}字", index + 1, s.main_point, words);
  return fmt::format("Paragraph {} - Main Point: {} - Word Count: {} words", index + 1, s.main_point, words);
}

std::string format_plan(const Plan& plan, const std::vector<int64_t>& budgets) {
  std::string out;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (i) out += '\n';
    out += format_step(plan, i, i < budgets.size() ? budgets[i] : plan.steps[i].words);
  }
  return out;
}

}  // namespace lw::agentwrite
