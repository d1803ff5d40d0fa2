#include "eval/judge_prompt.hpp"

#include "io/file.hpp"
#include "util/error.hpp"

namespace lw::eval {

namespace {
constexpr std::string_view kInst = "$INST$";
constexpr std::string_view kResponse = "$RESPONSE$";
}  // namespace

const std::string& default_judge_template() {
  static const std::string t =
      "You are grading a piece of writing produced by an AI assistant for a user. Judge it strictly, "
      "as a demanding editor would; a score of 5 should be rare.\n"
      "\n"
      "Give each of these six aspects an integer score from 1 (very poor) to 5 (excellent):\n"
      "- Relevance: does the text do what the user asked, in the form they asked for?\n"
      "- Accuracy: are its facts and claims correct, with nothing misleading?\n"
      "- Coherence: is it well organised, with each part following logically from the last?\n"
      "- Clarity: is the language clear and precise, with enough concrete detail?\n"
      "- Breadth and Depth: does it cover the subject widely and go into it deeply?\n"
      "- Reading Experience: is it engaging and pleasant to read from start to finish?\n"
      "\n"
      "Do not reward or penalise the length of the text; another metric measures length.\n"
      "\n"
      "=== USER REQUEST ===\n"
      "$INST$\n"
      "=== END OF USER REQUEST ===\n"
      "\n"
      "=== ASSISTANT'S TEXT ===\n"
      "$RESPONSE$\n"
      "=== END OF ASSISTANT'S TEXT ===\n"
      "\n"
      "First think briefly about the text's strengths and weaknesses. Then answer with exactly one "
      "JSON object and nothing after it, in this form:\n"
      "{\"Analysis\": \"<a few sentences>\", \"Relevance\": <1-5>, \"Accuracy\": <1-5>, "
      "\"Coherence\": <1-5>, \"Clarity\": <1-5>, \"Breadth and Depth\": <1-5>, "
      "\"Reading Experience\": <1-5>}\n"
      "Each score must be a single integer from 1 to 5.\n";
  return t;
}

void validate_judge_template(std::string_view tmpl, const std::string& origin) {
  if (tmpl.find(kInst) == std::string_view::npos)
    fail_input("{}: judge template has no $INST$ placeholder (where the user's request goes)", origin);
  if (tmpl.find(kResponse) == std::string_view::npos)
    fail_input("{}: judge template has no $RESPONSE$ placeholder (where the response goes)", origin);
}

std::string load_judge_template(const std::filesystem::path& path) {
  std::string t = io::read_file(path);
  validate_judge_template(t, path.string());
  return t;
}

std::string fill_placeholders(std::string_view tmpl, std::initializer_list<Placeholder> fields) {
  std::string out;
  size_t extra = 0;
  for (const auto& f : fields) extra += f.value.size();
  out.reserve(tmpl.size() + extra);
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t d = tmpl.find('$', i);
    if (d == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    out.append(tmpl.substr(i, d - i));
    i = d + 1;
    bool hit = false;
    for (const auto& f : fields)
      if (tmpl.substr(d, f.name.size()) == f.name) {
        out.append(f.value);
        i = d + f.name.size();
        hit = true;
        break;
      }
    if (!hit) out += '$';
  }
  return out;
}

std::string fill_judge_template(std::string_view tmpl, std::string_view instruction,
                                std::string_view response) {
  return fill_placeholders(tmpl, {{kInst, instruction}, {kResponse, response}});
}

}  // namespace lw::eval
