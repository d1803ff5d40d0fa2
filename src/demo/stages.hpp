#pragma once
// Cached stages for long multi-step jobs: a stage's result is saved to DIR/stages/NAME.json with
// the settings it ran under; a rerun with the same settings skips it and returns the saved result.
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::demo {

class StageCache {
 public:
  StageCache(std::filesystem::path dir, nlohmann::json settings);
  // Runs fn unless a finished run with the same settings is recorded; returns fn's (or the saved)
  // result. The record is written atomically after fn returns, so a kill mid-stage reruns it.
  nlohmann::json run(const std::string& name, const std::function<nlohmann::json()>& fn);
  // (stage, seconds) of the stages run by this process.
  const std::vector<std::pair<std::string, double>>& timings() const { return timings_; }

 private:
  std::filesystem::path dir_;
  nlohmann::json settings_;
  std::vector<std::pair<std::string, double>> timings_;
};

}  // namespace lw::demo
