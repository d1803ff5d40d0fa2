#pragma once
// The WritingBench critic prompt: one request per (response, criterion). A template holds three
// placeholders, in either of two spellings:
//   $INST$, $RESPONSE$, $CRITERIA$        (longwriter's, as in `bench judge`), or
//   {query}, {response}, {criteria}       (Python str.format, as in the benchmark's prompt.py:
//                                          "{{" and "}}" stand for single braces)
// so the benchmark's own prompt text can be passed with --template as it is. The criterion is
// inserted as its JSON object (name, description, rubric bands).
#include <string>
#include <string_view>

#include "io/jsonl.hpp"

namespace lw::eval {

// longwriter's own critic wording (user message) and system message.
const std::string& default_critic_template();
const std::string& default_critic_system();

// InputError naming `origin` when a placeholder is missing or (Python style) a brace is unpaired
// or names an unknown field.
void validate_critic_template(std::string_view tmpl, const std::string& origin);

// Fills the placeholders in one pass (text inside the query or the response is never substituted).
std::string fill_critic_template(std::string_view tmpl, std::string_view query, std::string_view response,
                                 const io::Json& criterion);

}  // namespace lw::eval
