#pragma once
// Progress display for long jobs on stderr: a one-line bar redrawn in place when stderr is a TTY
// (done/total, rate, ETA, plus a caller-supplied detail), plain periodic lines otherwise (for logs
// and CI). Thread-safe: workers call add() from any thread.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace lw {

// Globally disables every progress display (--quiet).
void set_progress_enabled(bool enabled);
bool progress_enabled();

// Formats one progress line; exposed for tests. total <= 0 means unknown. `resumed` of the done
// units were already done when the job started (a resumed run): they count toward done but not
// toward the rate, so the ETA is the pace of this run. An ended job shows its elapsed time, not an
// ETA, even short of its total.
std::string format_progress_line(const std::string& label, int64_t done, int64_t total, double elapsed_s,
                                 const std::string& unit, const std::string& detail, int bar_width,
                                 int64_t resumed = 0, bool ended = false);

// "1h02m", "3m04s", "12s".
std::string format_duration(double seconds);

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "items");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(int64_t n = 1);
  // n units found done from an earlier run: they move the bar but not the rate.
  void add_resumed(int64_t n);
  void set(int64_t done);
  void set_total(int64_t total);
  // Extra text shown after the counters, e.g. "words 5,210/10,000 · 38 tok/s".
  void set_detail(std::string detail);
  // Draws the final state and ends the line. Called by the destructor if not called before.
  void finish();

 private:
  void maybe_draw_locked(bool force);

  std::mutex mu_;
  std::string label_, unit_, detail_;
  int64_t total_ = 0, done_ = 0, resumed_ = 0;
  bool tty_ = false, finished_ = false, enabled_ = true;
  std::chrono::steady_clock::time_point start_, last_draw_;
  int64_t last_plain_done_ = -1;
};

// True while a TTY bar is on screen; log lines clear it first so the two never interleave.
bool progress_bar_visible();
void progress_clear_line_for_log();

}  // namespace lw
