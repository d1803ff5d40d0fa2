#include "eval/pipeline.hpp"

#include <fmt/format.h>

namespace lw::eval {

std::string describe(const PipelineSummary& s, const std::string& unit) {
  std::string out = fmt::format("{} {}: {} already done, {} done now", s.total, unit, s.already_done, s.completed);
  if (s.truncated > 0) out += fmt::format(" ({} truncated at max tokens)", s.truncated);
  if (s.retried > 0) out += fmt::format(", {} needed a retry", s.retried);
  if (s.failed > 0) out += fmt::format(", {} failed (rerun the same command to retry them)", s.failed);
  return out;
}

}  // namespace lw::eval
