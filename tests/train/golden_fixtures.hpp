#pragma once
// The golden fixtures (tests/fixtures/golden, README.md there) as a test parameter: the three models
// and their folder.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

namespace lw::train::testing {

inline std::filesystem::path golden_dir(const std::string& name) {
  return std::filesystem::path(LW_TEST_DATA_DIR) / "golden" / name;
}

inline auto golden_models() {
  return ::testing::Values("llama3-tiny", "llama2-tied-tiny", "glm4-tiny");
}

// The test name suffix of a model: its folder name with '_' for '-'.
inline std::string golden_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

}  // namespace lw::train::testing
