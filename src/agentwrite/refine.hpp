#pragma once
// The refine stage (after SuperWriter's plan → write → refine): after a paragraph is written (or,
// in whole mode, after the whole text), a critique request reviews the draft against its plan step,
// its word budget and the text so far, then a revision request rewrites the draft with the critique
// in hand. The revision replaces the draft in the text so far and in the result; draft, critique and
// revision are all kept (store table `requests`, kinds "critique" and "revision").
//
// Templates: the critique template needs $DRAFT$, the revise template $DRAFT$ and $CRITIQUE$; both
// may use $INST$, $PLAN$, $TEXT$ (the text before the draft; empty in whole mode), $STEP$ (the
// step line with its current budget, or the whole text's line) and $WORDS$ (the draft's words).
#include <cstdint>
#include <string>

#include "agentwrite/plan.hpp"

namespace lw::agentwrite {

enum class RefineMode { off, paragraph, whole };
// "off", "paragraph", "whole"; InputError naming --refine-mode otherwise.
RefineMode parse_refine_mode(const std::string& s);
const char* refine_mode_name(RefineMode m);

// The step of a whole-text critique and revision, in the store and in results.
inline constexpr int kWholeStep = -2;

const std::string& default_critique_template();
const std::string& default_revise_template();
void validate_critique_template(const std::string& tmpl, const std::string& what);
void validate_revise_template(const std::string& tmpl, const std::string& what);

struct RefineFields {
  std::string instruction, plan, text_so_far, step, draft;
  int64_t draft_words = 0;
};
std::string render_critique_prompt(const std::string& tmpl, const RefineFields& f);
std::string render_revise_prompt(const std::string& tmpl, const RefineFields& f, const std::string& critique);

// The $STEP$ line of a whole-text refine: "The whole text - Word Count: 900 words" (Chinese plans:
// "全文 - 字数要求：900字").
std::string whole_step_line(const Plan& plan, int64_t words);

}  // namespace lw::agentwrite
