#include "util/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace lw {
namespace {
std::atomic<bool> g_enabled{true};
std::atomic<bool> g_bar_visible{false};
constexpr auto kTtyInterval = std::chrono::milliseconds(100);
constexpr auto kPlainInterval = std::chrono::seconds(10);
}  // namespace

void set_progress_enabled(bool enabled) { g_enabled = enabled; }
bool progress_enabled() { return g_enabled; }
bool progress_bar_visible() { return g_bar_visible; }

void progress_clear_line_for_log() {
  if (g_bar_visible.exchange(false)) std::fputs("\r\033[K", stderr);
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  auto total = static_cast<int64_t>(s + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

std::string format_progress_line(const std::string& label, int64_t done, int64_t total, double elapsed_s,
                                 const std::string& unit, const std::string& detail, int bar_width,
                                 int64_t resumed, bool ended) {
  std::string out = label;
  const int64_t this_run = std::max<int64_t>(0, done - resumed);
  double rate = elapsed_s > 0 ? static_cast<double>(this_run) / elapsed_s : 0.0;
  if (total > 0) {
    double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    if (bar_width > 0) {
      int filled = static_cast<int>(frac * bar_width);
      out += fmt::format(" [{}{}]", std::string(filled, '#'), std::string(bar_width - filled, '.'));
    }
    out += fmt::format(" {}/{} {} ({:.0f}%)", done, total, unit, frac * 100.0);
  } else {
    out += fmt::format(" {} {}", done, unit);
  }
  out += fmt::format(" {:.2f} {}/s", rate, unit);
  if (total > 0 && done < total && !ended) {
    out += " ETA " + (rate > 0 ? format_duration(static_cast<double>(total - done) / rate) : "?");
  } else {
    out += " elapsed " + format_duration(elapsed_s);
  }
  if (!detail.empty()) out += " | " + detail;
  return out;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total) {
  tty_ = isatty(STDERR_FILENO) != 0;
  enabled_ = g_enabled;
  start_ = std::chrono::steady_clock::now();
  last_draw_ = start_ - std::chrono::hours(1);
}

Progress::~Progress() { finish(); }

void Progress::add(int64_t n) {
  std::lock_guard lk(mu_);
  done_ += n;
  maybe_draw_locked(false);
}

void Progress::add_resumed(int64_t n) {
  std::lock_guard lk(mu_);
  done_ += n;
  resumed_ += n;
  maybe_draw_locked(false);
}

void Progress::set(int64_t done) {
  std::lock_guard lk(mu_);
  done_ = done;
  maybe_draw_locked(false);
}

void Progress::set_total(int64_t total) {
  std::lock_guard lk(mu_);
  total_ = total;
}

void Progress::set_detail(std::string detail) {
  std::lock_guard lk(mu_);
  detail_ = std::move(detail);
  maybe_draw_locked(false);
}

void Progress::finish() {
  std::lock_guard lk(mu_);
  if (finished_) return;
  maybe_draw_locked(true);
  finished_ = true;
  if (enabled_ && tty_) {
    std::fputc('\n', stderr);
    g_bar_visible = false;
  }
}

void Progress::maybe_draw_locked(bool force) {
  if (!enabled_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  if (tty_) {
    if (!force && now - last_draw_ < kTtyInterval) return;
    std::string line =
        format_progress_line(label_, done_, total_, elapsed, unit_, detail_, 24, resumed_, force);
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    g_bar_visible = true;
  } else {
    // Plain lines: every 10 s, plus the final state.
    if (!force && now - last_draw_ < kPlainInterval) return;
    if (force && done_ == last_plain_done_) return;
    std::string line =
        format_progress_line(label_, done_, total_, elapsed, unit_, detail_, 0, resumed_, force);
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    last_plain_done_ = done_;
  }
  last_draw_ = now;
}

}  // namespace lw
