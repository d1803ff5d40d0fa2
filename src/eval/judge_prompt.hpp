#pragma once
// The judge prompt: a template with the placeholders $INST$ (the writing request) and $RESPONSE$
// (the model's answer). longwriter ships its own wording; --template FILE takes another one, such
// as the reference prompt of the LongBench-Write paper.
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

namespace lw::eval {

// longwriter's own judge wording.
const std::string& default_judge_template();

// Reads a template file; InputError naming the file when it lacks $INST$ or $RESPONSE$.
std::string load_judge_template(const std::filesystem::path& path);

// Checks a template; InputError naming `origin` when a placeholder is missing.
void validate_judge_template(std::string_view tmpl, const std::string& origin);

// Fills the placeholders in one pass, so text inside the request or the response that happens to
// contain "$RESPONSE$" or "$INST$" is never substituted again.
std::string fill_judge_template(std::string_view tmpl, std::string_view instruction, std::string_view response);

// One-pass substitution of named placeholders ("$INST$" -> value, ...): text inside a value is
// never substituted again. Shared by the judge, arena and segment templates.
struct Placeholder {
  std::string_view name, value;
};
std::string fill_placeholders(std::string_view tmpl, std::initializer_list<Placeholder> fields);

}  // namespace lw::eval
