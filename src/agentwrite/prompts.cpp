#include "agentwrite/prompts.hpp"

#include <algorithm>
#include <cmath>

#include "net/chat.hpp"
#include "text/words.hpp"
#include "util/error.hpp"

namespace lw::agentwrite {
namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  // One pass, so placeholders inside substituted text (an instruction containing "$PLAN$") stay.
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t p = s.find(from, pos);
    if (p == std::string::npos) break;
    out.append(s, pos, p - pos);
    out += to;
    pos = p + from.size();
  }
  out.append(s, pos, std::string::npos);
  s = std::move(out);
}

// Substitutes several placeholders in one left-to-right pass.
std::string substitute(const std::string& tmpl, const std::vector<std::pair<std::string, std::string>>& vars) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t best = std::string::npos;
    const std::pair<std::string, std::string>* which = nullptr;
    for (const auto& v : vars) {
      size_t p = tmpl.find(v.first, pos);
      if (p < best) {
        best = p;
        which = &v;
      }
    }
    if (!which) break;
    out.append(tmpl, pos, best - pos);
    out += which->second;
    pos = best + which->first.size();
  }
  if (pos < tmpl.size()) out.append(tmpl, pos, std::string::npos);
  return out;
}

}  // namespace

// The plan and the write template open with the same header and instruction, so a server's
// prefix cache reuses them from the plan request on; the write template then keeps everything that
// changes from one request to the next (the text so far grows at its end, the step and its budget)
// after what stays, so each write prompt extends the previous one's leading tokens.
namespace {
const std::string& template_header() {
  static const std::string h =
      "You are writing a long piece one paragraph at a time: first a plan, then each paragraph in turn.\n\n"
      "The request:\n\n$INST$\n\n";
  return h;
}
}  // namespace

const std::string& default_plan_template() {
  static const std::string t =
      template_header() +
      "Divide the piece into paragraphs and give each one a line of its own, in exactly this form:\n\n"
      "Paragraph 1 - Main Point: [what the paragraph covers, concretely and in detail] - Word Count: [its "
      "length, e.g. 600 words]\n"
      "Paragraph 2 - Main Point: [...] - Word Count: [...]\n\n"
      "Together the paragraphs must cover everything the request asks for, and their word counts must add "
      "up to the length it asks for. Give every paragraph between 200 and 1000 words. Reply with the plan "
      "lines only.";
  return t;
}

const std::string& default_write_template() {
  static const std::string t =
      template_header() +
      "The plan:\n\n$PLAN$\n\n"
      "What has been written so far:\n\n$TEXT$\n\n"
      "Now write the next part: $STEP$\n\n"
      "Write only this paragraph and keep to its word count. Continue naturally from the text so far "
      "without repeating it, do not start with a label such as \"Paragraph N\" (a short subheading is "
      "fine), and do not wrap up the whole piece unless this is the last step of the plan.";
  return t;
}

void validate_plan_template(const std::string& tmpl, const std::string& what) {
  if (tmpl.find("$INST$") == std::string::npos)
    fail_input("{}: a plan template needs the placeholder $INST$ (the instruction)", what);
}

void validate_write_template(const std::string& tmpl, const std::string& what) {
  if (tmpl.find("$STEP$") == std::string::npos)
    fail_input("{}: a write template needs the placeholder $STEP$ (the step to write)", what);
}

std::string render_plan_prompt(const std::string& tmpl, const std::string& instruction) {
  std::string s = tmpl;
  replace_all(s, "$INST$", instruction);
  return s;
}

std::string render_write_prompt(const std::string& tmpl, const std::string& instruction, const std::string& plan,
                                const std::string& text_so_far, const std::string& step) {
  return substitute(tmpl, {{"$INST$", instruction}, {"$PLAN$", plan}, {"$TEXT$", text_so_far}, {"$STEP$", step}});
}

int64_t paragraph_token_cap(int64_t budget_words, double tokens_per_word, const CapOptions& opts) {
  const double tpw = tokens_per_word > 0 ? tokens_per_word : opts.default_tokens_per_word;
  const double words = static_cast<double>(std::max<int64_t>(budget_words, 1));
  return static_cast<int64_t>(std::ceil(words * tpw * (1.0 + opts.margin))) + opts.extra_tokens;
}

double measured_tokens_per_word(const net::ChatBackend& backend, const std::string& instruction,
                                const std::string& so_far) {
  constexpr size_t kSample = 16384;  // bytes: enough for a stable ratio, cheap to tokenize
  std::string_view sample = so_far.size() >= 1000 ? std::string_view(so_far) : std::string_view(instruction);
  if (sample.size() > kSample) {
    sample = sample.substr(sample.size() - kSample);
    size_t sp = sample.find(' ');  // start at a word boundary
    if (sp != std::string_view::npos) sample = sample.substr(sp + 1);
  }
  const int64_t words = text::count_words(sample);
  if (words < 5) return 0.0;
  auto n = backend.count_tokens(sample);
  if (!n) return 0.0;
  return std::max(1.0, static_cast<double>(*n) / static_cast<double>(words));
}

std::vector<int64_t> step_budgets(const Plan& plan, const std::vector<int64_t>& written, int64_t target,
                                  const BudgetOptions& opts) {
  std::vector<int64_t> out;
  out.reserve(plan.steps.size());
  for (const auto& s : plan.steps) out.push_back(s.words);
  if (!opts.length_control || target <= 0) return out;
  size_t done = std::min(written.size(), plan.steps.size());
  int64_t written_sum = 0;
  for (size_t i = 0; i < done; ++i) written_sum += written[i];
  int64_t planned_rest = 0;
  for (size_t i = done; i < out.size(); ++i) planned_rest += out[i];
  if (planned_rest <= 0) return out;
  double scale = static_cast<double>(target - written_sum) / static_cast<double>(planned_rest);
  scale = std::clamp(scale, opts.min_scale, opts.max_scale);
  for (size_t i = done; i < out.size(); ++i) {
    auto scaled = static_cast<int64_t>(std::llround(static_cast<double>(out[i]) * scale));
    out[i] = std::max(scaled, std::min(out[i], opts.floor_words));
  }
  return out;
}

}  // namespace lw::agentwrite
