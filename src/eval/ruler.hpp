#pragma once
// LongWrite-Ruler: how closely a model follows a required length. Per required length L: the mean
// and max produced length, and the share of responses within +-20% of L; plus a log-log chart of
// produced vs required.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eval/stability.hpp"
#include "io/jsonl.hpp"

namespace lw::eval {

struct RulerRow {
  int64_t length = 0;  // required L
  int64_t n = 0;
  double mean = 0;           // mean produced words
  int64_t max = 0;           // max produced words
  double within20 = 0;       // share (0..1) with |produced - L| <= 0.2 L
  double s_l = 0;            // mean length score
  int64_t truncated = 0;     // finish_reason = length
};

struct RulerPoint {
  int64_t required = 0, produced = 0;
  bool truncated = false;
  std::string prompt;
};

struct RulerReport {
  std::string name, pred_path;
  std::vector<RulerRow> rows;  // ascending L
  RulerRow overall;            // length = 0
  std::vector<RulerPoint> points;
  std::optional<StabilityReport> stability;  // when some prompt has several samples
};

// |produced - required| <= 0.2 * required.
bool within_20_percent(int64_t required, int64_t produced);

// From prediction lines ("length", "response" or "response_length", optional "finish_reason").
RulerReport analyze_ruler(const std::vector<io::Record>& preds);

io::Json ruler_to_json(const RulerReport& r);
std::string ruler_markdown(const RulerReport& r);
std::string ruler_html(const RulerReport& r);
// Writes DIR/ruler.json, DIR/ruler.md and DIR/ruler.html atomically.
void write_ruler_report(const RulerReport& r, const std::filesystem::path& dir);

}  // namespace lw::eval
