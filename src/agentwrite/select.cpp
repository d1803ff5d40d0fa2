#include "agentwrite/select.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "agentwrite/length_request.hpp"
#include "text/utf8.hpp"

namespace lw::agentwrite {
namespace {

constexpr int kHashes = 64, kBands = 16, kRows = kHashes / kBands, kShingle = 5;

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Lower-case letters, digits and CJK only: punctuation and spacing do not make texts different.
std::u32string normalise(std::string_view text) {
  std::u32string out;
  for (char32_t c : text::decode(text)) {
    if (c >= U'A' && c <= U'Z') c += 32;
    bool keep = (c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9') || c >= 0x2E80;
    if (keep) out += c;
  }
  return out;
}

std::vector<uint64_t> signature(std::string_view text) {
  std::u32string s = normalise(text);
  std::vector<uint64_t> sig(kHashes, UINT64_MAX);
  size_t n = s.size() < kShingle ? 1 : s.size() - kShingle + 1;
  for (size_t i = 0; i < n; ++i) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = i; k < std::min(s.size(), i + kShingle); ++k) {
      h ^= static_cast<uint64_t>(s[k]);
      h *= 1099511628211ULL;
    }
    for (int j = 0; j < kHashes; ++j) sig[j] = std::min(sig[j], mix(h ^ (0x5851F42D4C957F2DULL * (j + 1))));
  }
  return sig;
}

double agreement(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  int same = 0;
  for (int j = 0; j < kHashes; ++j) same += a[j] == b[j];
  return static_cast<double>(same) / kHashes;
}

}  // namespace

std::string reason_bucket(const std::string& reason) {
  if (reason.rfind("rule:", 0) == 0 || reason.rfind("long-form:", 0) == 0) return reason;
  // The text before any ':' or '(' with numbers replaced by N: "plan rejected 3 times (last: ...)"
  // → "plan rejected N times", "paragraph 4 failed: HTTP 500" → "paragraph N failed".
  std::string head = reason.substr(0, reason.find_first_of(":("));
  std::string out;
  for (size_t i = 0; i < head.size(); ++i) {
    if (head[i] >= '0' && head[i] <= '9') {
      while (i + 1 < head.size() && head[i + 1] >= '0' && head[i + 1] <= '9') ++i;
      out += 'N';
    } else {
      out += head[i];
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Decision classify_instruction(std::string_view prompt, const RuleSet& rules, const SelectOptions& opts) {
  Decision d;
  if (const Rule* r = rules.first_match(prompt, /*drop=*/true)) {
    d.reason = "rule: " + r->section;
    d.detail = fmt::format("{} ({})", r->source, r->where);
    return d;
  }
  int64_t words = explicit_target_words(prompt);
  if (words > 0) {
    d.keep = words >= opts.min_words;
    d.reason = d.keep ? "explicit length" : fmt::format("too short: {} < {}", words, opts.min_words);
    d.detail = fmt::format("{} words", words);
    return d;
  }
  if (const Rule* r = rules.first_match(prompt, /*drop=*/false)) {
    d.keep = true;
    d.reason = "long-form: " + r->section;
    d.detail = r->source;
    return d;
  }
  d.reason = "no long-output request";
  return d;
}

int64_t NearDuplicates::add(std::string_view text) {
  auto sig = signature(text);
  std::vector<uint64_t> keys(kBands);
  for (int b = 0; b < kBands; ++b) {
    uint64_t h = 0;
    for (int r = 0; r < kRows; ++r) h = mix(h ^ sig[b * kRows + r]);
    keys[b] = h;
    auto it = bands_.find({b, h});
    if (it == bands_.end()) continue;
    for (int64_t other : it->second)
      if (agreement(sig, sigs_[other]) >= threshold_) return other;
  }
  auto idx = static_cast<int64_t>(sigs_.size());
  for (int b = 0; b < kBands; ++b) bands_[{b, keys[b]}].push_back(idx);
  sigs_.push_back(std::move(sig));
  return -1;
}

std::vector<Decision> select_all(const std::vector<std::string>& prompts, const RuleSet& rules,
                                 const SelectOptions& opts, SelectReport& report) {
  std::vector<Decision> out;
  out.reserve(prompts.size());
  NearDuplicates dups(opts.dup_threshold);
  for (size_t i = 0; i < prompts.size(); ++i) {
    Decision d = classify_instruction(prompts[i], rules, opts);
    if (d.keep && opts.dedup) {
      int64_t other = dups.add(prompts[i]);
      if (other >= 0) {
        d.keep = false;
        d.reason = "near-duplicate";
        d.detail = fmt::format("of kept instruction {}", other + 1);
      }
    }
    ++report.total;
    if (d.keep) {
      ++report.kept;
      ++report.kept_by_reason[reason_bucket(d.reason)];
    } else {
      ++report.dropped_by_reason[reason_bucket(d.reason)];
    }
    out.push_back(std::move(d));
  }
  return out;
}

double NearDuplicates::similarity(std::string_view a, std::string_view b) { return agreement(signature(a), signature(b)); }

}  // namespace lw::agentwrite
