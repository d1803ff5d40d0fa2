#include "eval/segments.hpp"

#include <set>

#include "eval/resume.hpp"
#include "text/words.hpp"
#include "util/error.hpp"

namespace lw::eval {

std::vector<std::string> split_segments(std::string_view text, int k) {
  // Paragraphs with the separators that follow them, so that concatenation restores the text.
  std::vector<std::string_view> paras;
  size_t start = 0;
  while (start < text.size()) {
    size_t brk = text.find("\n\n", start);
    if (brk == std::string_view::npos) {
      paras.push_back(text.substr(start));
      break;
    }
    size_t end = brk;
    while (end < text.size() && (text[end] == '\n' || text[end] == '\r')) ++end;
    paras.push_back(text.substr(start, end - start));
    start = end;
  }
  std::vector<std::string> out;
  if (paras.empty() || k <= 1) {
    if (!text.empty()) out.emplace_back(text);
    return out;
  }
  std::vector<double> cum;  // words up to and including paragraph i
  double total = 0;
  for (auto p : paras) cum.push_back(total += static_cast<double>(text::count_words(p)));
  std::vector<size_t> cuts;  // a part ends after paragraph cuts[j]
  size_t prev = 0;
  bool first = true;
  for (int j = 1; j < k; ++j) {
    double target = total * j / k;
    size_t best = paras.size();
    double best_d = 1e300;
    for (size_t i = first ? 0 : prev + 1; i + 1 < paras.size(); ++i) {
      double d = std::abs(cum[i] - target);
      if (d < best_d) {
        best_d = d;
        best = i;
      }
    }
    if (best >= paras.size()) break;  // no paragraph left to cut after
    cuts.push_back(best);
    prev = best;
    first = false;
  }
  size_t from = 0;
  for (size_t c : cuts) {
    std::string part;
    for (size_t i = from; i <= c; ++i) part += paras[i];
    out.push_back(std::move(part));
    from = c + 1;
  }
  std::string last;
  for (size_t i = from; i < paras.size(); ++i) last += paras[i];
  if (!last.empty()) out.push_back(std::move(last));
  return out;
}

std::string context_tail(std::string_view text, size_t budget) {
  if (text.size() <= budget) return std::string(text);
  size_t from = text.size() - budget;
  while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) ++from;
  size_t para = text.find("\n\n", from), line = text.find('\n', from);
  size_t near = text.size() - from > 400 ? from + 400 : text.size();
  if (para != std::string_view::npos && para < near)
    from = para + 2;
  else if (line != std::string_view::npos && line < near)
    from = line + 1;
  return "[...]\n" + std::string(text.substr(from));
}

const std::string& default_segment_template() {
  static const std::string t =
      "You are grading ONE PART of a long text that an AI assistant wrote for a user. Grade only the part "
      "marked below; the text before it is given so that you can judge continuity, not to be graded. Judge "
      "strictly; a score of 5 should be rare.\n"
      "\n"
      "Give each of these six aspects of the part an integer score from 1 (very poor) to 5 (excellent):\n"
      "- Relevance: does it keep doing what the user asked?\n"
      "- Accuracy: are its facts and claims correct?\n"
      "- Coherence: does it follow on from the text before it and hold together?\n"
      "- Clarity: is the language clear and precise?\n"
      "- Breadth and Depth: does it add substance rather than repeat or pad?\n"
      "- Reading Experience: is it engaging to read?\n"
      "\n"
      "=== USER REQUEST ===\n$INST$\n=== END OF USER REQUEST ===\n"
      "\n"
      "=== TEXT BEFORE THE PART (context only) ===\n$CONTEXT$\n=== END OF TEXT BEFORE THE PART ===\n"
      "\n"
      "=== THE PART TO GRADE ===\n$RESPONSE$\n=== END OF THE PART ===\n"
      "\n"
      "Answer with exactly one JSON object and nothing after it:\n"
      "{\"Analysis\": \"<a few sentences>\", \"Relevance\": <1-5>, \"Accuracy\": <1-5>, \"Coherence\": "
      "<1-5>, "
      "\"Clarity\": <1-5>, \"Breadth and Depth\": <1-5>, \"Reading Experience\": <1-5>}\n";
  return t;
}

void validate_segment_template(std::string_view tmpl, const std::string& origin) {
  for (std::string_view f : {"$INST$", "$CONTEXT$", "$RESPONSE$"})
    if (tmpl.find(f) == std::string_view::npos)
      fail_input("{}: segment judge template has no {} placeholder", origin, f);
}

namespace {

std::optional<double> segment_quality(const io::Json& s) {
  if (!s.is_object()) return std::nullopt;
  double sum = 0;
  for (auto d : kDimensions) {
    auto it = s.find(std::string(d));
    if (it == s.end() || !it->is_number_integer() || it->get<int>() < 1 || it->get<int>() > 5)
      return std::nullopt;
    sum += (it->get<int>() - 1) * 25.0;
  }
  return sum / kNumDimensions;
}

}  // namespace

PositionStats analyze_positions(const std::vector<io::Record>& judge_lines,
                                const std::vector<io::Record>& preds, int k) {
  PositionStats p;
  p.k = k;
  p.n.assign(static_cast<size_t>(k), 0);
  std::vector<double> sum(static_cast<size_t>(k), 0.0);
  std::set<std::string> wanted;
  for (const auto& r : preds) wanted.insert(judge_key(r.value));
  for (const auto& r : judge_lines) {
    auto it = r.value.find("segment_scores");
    if (it == r.value.end() || !it->is_array() || it->empty() || !wanted.count(judge_key(r.value))) continue;
    std::vector<double> q;
    for (const auto& s : *it) {
      auto v = segment_quality(s);
      if (!v) fail_input("{}: field \"segment_scores\": each part needs the six scores 1..5", r.where());
      q.push_back(*v);
    }
    ++p.responses;
    for (size_t s = 0; s < q.size(); ++s) {
      size_t pos = s * static_cast<size_t>(k) / q.size();
      sum[pos] += q[s];
      ++p.n[pos];
    }
  }
  for (size_t i = 0; i < sum.size(); ++i)
    p.s_q.push_back(p.n[i] ? std::optional<double>(sum[i] / static_cast<double>(p.n[i])) : std::nullopt);
  if (k >= 2 && p.s_q.front() && p.s_q.back()) p.drop = *p.s_q.back() - *p.s_q.front();
  return p;
}

bool is_segment_judged(const io::Json& line) {
  auto it = line.find("segment_scores");
  if (it == line.end() || !it->is_array() || it->empty()) return false;
  for (const auto& s : *it)
    if (!segment_quality(s)) return false;
  return true;
}

io::Json positions_to_json(const PositionStats& p) {
  io::Json pos = io::Json::array();
  for (size_t i = 0; i < p.s_q.size(); ++i)
    pos.push_back(
        {{"position", i + 1}, {"n", p.n[i]}, {"S_q", p.s_q[i] ? io::Json(*p.s_q[i]) : io::Json(nullptr)}});
  return {{"k", p.k},
          {"responses", p.responses},
          {"positions", pos},
          {"drop", p.drop ? io::Json(*p.drop) : io::Json(nullptr)}};
}

}  // namespace lw::eval
