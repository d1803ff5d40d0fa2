#include "agentwrite/refine.hpp"

#include <fmt/format.h>

#include "eval/judge_prompt.hpp"
#include "util/error.hpp"

namespace lw::agentwrite {
namespace {

// One left-to-right pass over the placeholders (text inside a value is never substituted again).
std::string fill(const std::string& tmpl, const RefineFields& f, const std::string& critique) {
  const std::string words = std::to_string(f.draft_words);
  return eval::fill_placeholders(tmpl, {{"$INST$", f.instruction},
                                        {"$PLAN$", f.plan},
                                        {"$TEXT$", f.text_so_far},
                                        {"$STEP$", f.step},
                                        {"$DRAFT$", f.draft},
                                        {"$WORDS$", words},
                                        {"$CRITIQUE$", critique}});
}

const std::string& refine_header() {
  static const std::string h =
      "You are editing a long piece written one part at a time from a plan.\n\n"
      "The request:\n\n$INST$\n\n"
      "The plan:\n\n$PLAN$\n\n"
      "What comes before the part under review:\n\n$TEXT$\n\n"
      "The part under review: $STEP$\n\n"
      "Its draft ($WORDS$ words):\n\n$DRAFT$\n\n";
  return h;
}

}  // namespace

RefineMode parse_refine_mode(const std::string& s) {
  if (s == "off") return RefineMode::off;
  if (s == "paragraph") return RefineMode::paragraph;
  if (s == "whole") return RefineMode::whole;
  fail_input("--refine-mode {}: expected paragraph or whole", s);
}

const char* refine_mode_name(RefineMode m) {
  switch (m) {
    case RefineMode::off:
      return "off";
    case RefineMode::paragraph:
      return "paragraph";
    case RefineMode::whole:
      return "whole";
  }
  return "?";
}

const std::string& default_critique_template() {
  static const std::string t =
      refine_header() +
      "Review the draft as a demanding editor. Check that it covers the main point of its part and "
      "nothing that belongs to other parts of the plan, that its length is close to its word count, that "
      "it follows on from what comes before without repeating it, and that it is clear and concrete. List "
      "the problems, most important first, each with how to fix it, in at most 150 words. Do not rewrite "
      "the draft.";
  return t;
}

const std::string& default_revise_template() {
  static const std::string t =
      refine_header() +
      "An editor's critique of the draft:\n\n$CRITIQUE$\n\n"
      "Rewrite the draft so that it fixes the problems the critique names and keeps what works. Keep to "
      "the word count of the part. Reply with the revised text only: no label such as \"Paragraph N\", no "
      "comments about the changes.";
  return t;
}

void validate_critique_template(const std::string& tmpl, const std::string& what) {
  if (tmpl.find("$DRAFT$") == std::string::npos)
    fail_input("{}: a critique template needs the placeholder $DRAFT$ (the draft under review)", what);
}

void validate_revise_template(const std::string& tmpl, const std::string& what) {
  if (tmpl.find("$DRAFT$") == std::string::npos || tmpl.find("$CRITIQUE$") == std::string::npos)
    fail_input(
        "{}: a revise template needs the placeholders $DRAFT$ (the draft) and $CRITIQUE$ (the critique)",
        what);
}

std::string render_critique_prompt(const std::string& tmpl, const RefineFields& f) {
  return fill(tmpl, f, std::string());
}

std::string render_revise_prompt(const std::string& tmpl, const RefineFields& f,
                                 const std::string& critique) {
  return fill(tmpl, f, critique);
}

std::string whole_step_line(const Plan& plan, int64_t words) {
  if (plan.chinese) return fmt::format("全文 - 字数要求：{}字", words);
  return fmt::format("The whole text - Word Count: {} words", words);
}

}  // namespace lw::agentwrite
