#pragma once
// What `write` shows while it works and when it ends: words written of the target, paragraphs,
// tokens/s, an ETA from the pace so far, the prompt tokens a prefix cache served, and the closing
// summary. The paragraphs being written count too, from their streamed text, so a --parallel write
// (whose paragraphs all finish near the end) shows its progress as it goes. Not thread-safe: the
// caller serialises.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "agentwrite/pipeline.hpp"
#include "agentwrite/plan.hpp"
#include "agentwrite/store.hpp"

namespace lw::agentwrite {

struct WriteProgress {
  using Clock = std::chrono::steady_clock;
  int64_t target = 0, planned_words = 0;
  int64_t written = 0;                         // words of the finished paragraphs, reused ones included
  int64_t new_words = 0;                       // ... of those written by this run
  int64_t tokens = 0, prompt = 0, cached = 0;  // this run's finished requests
  int64_t last_prompt = 0;                     // the longest paragraph prompt, in tokens
  double seconds = 0;                          // the finished requests' times, summed
  size_t steps = 0;
  int done = 0;  // paragraphs finished
  Clock::time_point start = Clock::now();
  // A paragraph being written: its streamed text so far and the number of deltas (about one token
  // each from the engine and from OpenAI-style servers).
  struct Live {
    std::string text;
    int64_t words = 0, deltas = 0;
  };
  std::map<int, Live> live;

  // The plan is known: the step count, the target if none was given, and the clock starts.
  void planned(const Plan& plan);
  // A streamed piece of paragraph `step`.
  void delta(int step, std::string_view d);
  // Paragraph `step` finished (or was found in the store: reused).
  void add(int step, const StoredParagraph& p, bool reused);

  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
  // Words of the finished paragraphs and of those being written.
  int64_t words_now() const;
  // After each paragraph of a sequential write that streams to a terminal:
  // "words 1500/10000 · 7 tok/s · ETA 40m00s · 95% of prompt tokens cached".
  std::string detail(double elapsed_s) const;
  // The detail of the progress bar, which itself counts words: paragraphs finished and being
  // written, and this run's tokens over wall time (all paragraphs together), e.g.
  // "paragraphs 3/20 (17 being written) · 24.8 tok/s · 95% of prompt tokens cached".
  std::string bar_detail(double elapsed_s) const;
  // The closing summary: requests, prompt tokens and the cached share, completion tokens, the
  // wall time and the requests' prefill/decode time split, the last prompt's length, and the
  // paragraphs that hit their cap. Requests that ran at once (--parallel) have overlapping times:
  // their sums then read as such, beside the wall time.
  std::string summary(const RunStats& s, size_t paragraphs, double wall_s) const;

 private:
  std::string cached_share() const;
};

}  // namespace lw::agentwrite
