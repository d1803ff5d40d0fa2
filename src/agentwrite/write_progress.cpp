#include "agentwrite/write_progress.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "text/words.hpp"
#include "util/progress.hpp"

namespace lw::agentwrite {

void WriteProgress::planned(const Plan& plan) {
  planned_words = plan.total_words();
  steps = plan.steps.size();
  if (target <= 0) target = planned_words;
  start = Clock::now();
}

void WriteProgress::delta(int step, std::string_view d) {
  Live& l = live[step];
  l.text += d;
  ++l.deltas;
  l.words = text::count_words(l.text);  // a paragraph's length: cheap to recount
}

void WriteProgress::add(int step, const StoredParagraph& p, bool reused) {
  live.erase(step);
  written += p.words;
  ++done;
  if (reused) return;
  new_words += p.words;
  tokens += p.completion_tokens;
  seconds += p.seconds;
  prompt += p.prompt_tokens;
  cached += p.cached_tokens;
  last_prompt = std::max(last_prompt, p.prompt_tokens);
}

int64_t WriteProgress::words_now() const {
  int64_t w = written;
  for (const auto& [step, l] : live) w += l.words;
  return w;
}

std::string WriteProgress::cached_share() const {
  if (prompt <= 0) return "";
  return fmt::format(" · {:.0f}% of prompt tokens cached",
                     100.0 * static_cast<double>(cached) / static_cast<double>(prompt));
}

std::string WriteProgress::detail(double elapsed_s) const {
  const double rate = seconds > 0 ? static_cast<double>(tokens) / seconds : 0.0;
  std::string out = fmt::format("words {}/{} · {:.0f} tok/s", written, target, rate);
  if (new_words > 0 && written < target && static_cast<size_t>(done) < steps) {
    const double eta = static_cast<double>(target - written) * elapsed_s / static_cast<double>(new_words);
    out += fmt::format(" · ETA {}", format_duration(eta));
  }
  return out + cached_share();
}

std::string WriteProgress::bar_detail(double elapsed_s) const {
  int64_t t = tokens;
  for (const auto& [step, l] : live) t += l.deltas;
  std::string out = fmt::format("paragraphs {}/{}", done, steps);
  if (!live.empty()) out += fmt::format(" ({} being written)", live.size());
  if (elapsed_s > 0 && t > 0) out += fmt::format(" · {:.1f} tok/s", static_cast<double>(t) / elapsed_s);
  return out + cached_share();
}

std::string WriteProgress::summary(const RunStats& s, size_t paragraphs, double wall_s) const {
  std::string out = fmt::format("{} requests, {} prompt tokens ({} cached, {:.0f}%), {} completion tokens",
                                s.requests, s.prompt_tokens, s.cached_tokens,
                                s.prompt_tokens > 0 ? 100.0 * static_cast<double>(s.cached_tokens) /
                                                          static_cast<double>(s.prompt_tokens)
                                                    : 0.0,
                                s.completion_tokens);
  out += fmt::format("; {:.1f} s wall", wall_s);
  const double busy = s.prefill_seconds + s.decode_seconds;
  if (busy > 0)  // requests that ran at once (--parallel) sum to more than the wall time
    out += fmt::format("{} {:.1f} s prefill (queue and prompt) + {:.1f} s decode",
                       busy > 1.05 * wall_s ? "; the requests' own times, summed as they overlap:" : ":",
                       s.prefill_seconds, s.decode_seconds);
  if (last_prompt > 0) out += fmt::format("; last prompt {} tokens", last_prompt);
  out += fmt::format("; {} of {} paragraphs hit their token cap", s.capped_paragraphs, paragraphs);
  return out;
}

}  // namespace lw::agentwrite
