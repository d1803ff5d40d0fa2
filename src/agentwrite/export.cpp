#include "agentwrite/export.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "agentwrite/select.hpp"
#include "io/jsonl.hpp"
#include "text/words.hpp"

namespace lw::agentwrite {

LengthStats length_stats(std::vector<int64_t> lengths) {
  LengthStats s;
  s.histogram.assign(21, 0);
  s.count = static_cast<int64_t>(lengths.size());
  if (lengths.empty()) return s;
  std::sort(lengths.begin(), lengths.end());
  double sum = 0;
  for (int64_t n : lengths) {
    sum += static_cast<double>(n);
    ++s.histogram[static_cast<size_t>(std::min<int64_t>(20, n / 1000))];
  }
  s.mean = sum / static_cast<double>(lengths.size());
  size_t m = lengths.size() / 2;
  s.median = lengths.size() % 2 ? static_cast<double>(lengths[m])
                                : (static_cast<double>(lengths[m - 1]) + static_cast<double>(lengths[m])) / 2.0;
  s.min = lengths.front();
  s.max = lengths.back();
  return s;
}

nlohmann::json LengthStats::to_json() const {
  nlohmann::json hist = nlohmann::json::array();
  for (size_t i = 0; i < histogram.size(); ++i) {
    std::string label = i + 1 < histogram.size() ? fmt::format("{}k-{}k", i, i + 1) : "20k+";
    hist.push_back({{"bucket", label}, {"count", histogram[i]}});
  }
  return {{"count", count}, {"mean_words", mean}, {"median_words", median}, {"min_words", min},
          {"max_words", max}, {"histogram", hist}, {"drops", drops}};
}

std::string LengthStats::to_text() const {
  std::string out = fmt::format("exported {} examples; response length mean {:.0f}, median {:.0f}, min {}, max {}\n",
                                count, mean, median, min, max);
  int64_t peak = 1;
  for (int64_t h : histogram) peak = std::max(peak, h);
  for (size_t i = 0; i < histogram.size(); ++i) {
    std::string label = i + 1 < histogram.size() ? fmt::format("{:>2}k-{:>2}k", i, i + 1) : "  20k+ ";
    auto bar = static_cast<size_t>(40 * histogram[i] / peak);
    out += fmt::format("  {} {:>7} {}\n", label, histogram[i], std::string(bar, '#'));
  }
  if (drops.empty()) {
    out += "dropped: none\n";
  } else {
    out += "dropped:\n";
    for (const auto& [reason, n] : drops) out += fmt::format("  {:>7} {}\n", n, reason);
  }
  return out;
}

LengthStats export_sft(const std::string& in_path, const std::string& out_path, const ExportOptions& opts,
                       const std::string& rejects_path) {
  std::map<std::string, int64_t> drops;
  std::vector<int64_t> lengths;
  io::JsonlReader reader(in_path);
  io::JsonlWriter writer(out_path);
  io::Record rec;
  while (reader.next(rec)) {
    if (!rec.value.is_object()) {
      ++drops["not a JSON object"];
      continue;
    }
    std::string prompt = rec.get_string_or("prompt", "");
    std::string response = rec.get_string_or("response", "");
    if (prompt.empty()) {
      ++drops["missing prompt"];
      continue;
    }
    if (response.empty()) {
      ++drops["missing or empty response"];
      continue;
    }
    int64_t n = rec.has("response_length") ? rec.get_int("response_length") : text::count_words(response);
    if (opts.min_words > 0 && n < opts.min_words) {
      ++drops[fmt::format("shorter than {} words", opts.min_words)];
      continue;
    }
    if (opts.max_words > 0 && n > opts.max_words) {
      ++drops[fmt::format("longer than {} words", opts.max_words)];
      continue;
    }
    writer.write({{"messages", {{{"role", "user"}, {"content", prompt}}, {{"role", "assistant"}, {"content", response}}}}});
    lengths.push_back(n);
  }
  writer.commit();
  if (!rejects_path.empty() && std::filesystem::exists(rejects_path)) {
    io::JsonlReader rj(rejects_path);
    rj.set_tolerate_torn_tail(true);
    while (rj.next(rec)) ++drops["agentwrite: " + reason_bucket(rec.get_string_or("reason", "unknown"))];
  }
  LengthStats s = length_stats(std::move(lengths));
  s.drops = std::move(drops);
  return s;
}

}  // namespace lw::agentwrite
