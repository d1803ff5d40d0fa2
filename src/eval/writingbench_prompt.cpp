#include "eval/writingbench_prompt.hpp"

#include <array>

#include "util/error.hpp"

namespace lw::eval {

namespace {

bool python_style(std::string_view t) {
  return t.find("$CRITERIA$") == std::string_view::npos;
}

// Fills a template; throws InputError(origin) on a Python-style syntax problem. Unknown `$...`
// text is copied as it is.
std::string fill(std::string_view t, std::string_view query, std::string_view response,
                 std::string_view criteria, const std::string& origin) {
  struct Field {
    std::string_view name, value;
  };
  const bool py = python_style(t);
  const std::array<Field, 3> fields =
      py ? std::array<Field, 3>{{{"{query}", query}, {"{response}", response}, {"{criteria}", criteria}}}
         : std::array<Field, 3>{{{"$INST$", query}, {"$RESPONSE$", response}, {"$CRITERIA$", criteria}}};
  std::string out;
  out.reserve(t.size() + query.size() + response.size() + criteria.size());
  size_t i = 0;
  while (i < t.size()) {
    bool matched = false;
    for (const auto& f : fields) {
      if (t.substr(i, f.name.size()) == f.name) {
        out.append(f.value);
        i += f.name.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    char c = t[i];
    if (py && (c == '{' || c == '}')) {
      if (i + 1 < t.size() && t[i + 1] == c) {
        out += c;
        i += 2;
        continue;
      }
      fail_input(
          "{}: unpaired '{}' or unknown field at byte {} (write {}{} for a literal brace; the fields are "
          "{{query}}, {{response}} and {{criteria}})",
          origin, c, i, c, c);
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace

const std::string& default_critic_system() {
  static const std::string s =
      "You are a demanding, experienced editor who grades writing against one criterion at a time.";
  return s;
}

const std::string& default_critic_template() {
  static const std::string t =
      "Grade the response below against ONE criterion only: the criterion given here, with its rubric.\n"
      "\n"
      "How to grade:\n"
      "- Use an integer from 1 to 10. Roughly: 1-2 the criterion is failed outright; 3-4 clearly weak; "
      "5-6 acceptable but ordinary; 7-8 good, with small flaws; 9-10 outstanding, nothing to fix.\n"
      "- Be strict. Neither length nor neat formatting earns points by itself; check that the content is "
      "real and does what was asked, and not an outline, a preamble or invented filler.\n"
      "- Justify the score with concrete evidence from the response (quote short passages) and say what is "
      "missing compared with an ideal answer.\n"
      "\n"
      "=== CRITERION ===\n"
      "$CRITERIA$\n"
      "=== END OF CRITERION ===\n"
      "\n"
      "=== USER REQUEST ===\n"
      "$INST$\n"
      "=== END OF USER REQUEST ===\n"
      "\n"
      "=== RESPONSE ===\n"
      "$RESPONSE$\n"
      "=== END OF RESPONSE ===\n"
      "\n"
      "Reply with exactly one JSON object and nothing else, in this form (no double quotes inside the "
      "reason):\n"
      "{\"score\": <integer 1-10>, \"reason\": \"<your justification>\"}\n";
  return t;
}

void validate_critic_template(std::string_view tmpl, const std::string& origin) {
  if (python_style(tmpl)) {
    for (std::string_view f : {"{query}", "{response}", "{criteria}"})
      if (tmpl.find(f) == std::string_view::npos)
        fail_input(
            "{}: critic template has neither $CRITERIA$ nor {} (a template needs $INST$, $RESPONSE$ and "
            "$CRITERIA$, or {{query}}, {{response}} and {{criteria}})",
            origin, f);
    fill(tmpl, "", "", "", origin);  // brace syntax
  } else {
    for (std::string_view f : {"$INST$", "$RESPONSE$"})
      if (tmpl.find(f) == std::string_view::npos)
        fail_input("{}: critic template has no {} placeholder", origin, f);
  }
}

std::string fill_critic_template(std::string_view tmpl, std::string_view query, std::string_view response,
                                 const io::Json& criterion) {
  return fill(tmpl, query, response, criterion.dump(2), "critic template");
}

}  // namespace lw::eval
