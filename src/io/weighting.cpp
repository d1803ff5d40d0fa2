#include "io/weighting.hpp"

#include "util/error.hpp"

namespace lw::io {

Weighting parse_weighting(std::string_view name, std::string_view option) {
  if (name == "token") return Weighting::token;
  if (name == "sequence") return Weighting::sequence;
  if (name == "longalign") return Weighting::longalign;
  if (name == "longwriter") return Weighting::longwriter;
  fail_input("{}: unknown weighting '{}' (expected longwriter, token, sequence or longalign)", option, name);
}

std::string weighting_name(Weighting w) {
  switch (w) {
    case Weighting::token:
      return "token";
    case Weighting::sequence:
      return "sequence";
    case Weighting::longalign:
      return "longalign";
    case Weighting::longwriter:
      return "longwriter";
  }
  return "?";
}

}  // namespace lw::io
