#pragma once
// Reading a WritingBench critic's reply, the way the benchmark's evaluator does
// (evaluate_benchmark.py, extract_score_json and its success check):
//   1. when the reply contains "</think>", only the text after its first occurrence is read
//      (a reasoning model's thoughts are dropped; an unclosed "<think>" is not);
//   2. at each "{" from left to right, one JSON value is decoded (strict JSON: a raw newline inside
//      a string is an error; NaN and Infinity are accepted as numbers, as Python's json does);
//   3. the first decoded *object* that has both keys "score" and "reason" is the answer; objects
//      without them (a wrapper, an echo of the format) are passed over, and a wrapper's inner
//      object is found at its own "{";
//   4. the answer is usable when "score" equals one of 1..10 (so 7, 7.0 and 1e1 are accepted;
//      "7", 7.5, 0, 11 and null are not; `true` equals 1 in Python and is accepted as 1) and
//      "reason" is a string. An unusable first answer is not passed over for a later object.
// The caller asks again when the reply is rejected.
#include <string>
#include <string_view>

namespace lw::eval {

struct CriticParse {
  bool ok = false;
  int score = 0;       // 1..10 when ok
  std::string reason;  // when ok
  std::string error;   // why the reply was rejected (when !ok)
};

CriticParse parse_critic_reply(std::string_view reply);

// The part of a model's response that is judged: the text after the first "</think>\n\n" when
// there is one (a reasoning model's thoughts are not judged), else the whole response.
std::string_view judged_part(std::string_view response);

}  // namespace lw::eval
