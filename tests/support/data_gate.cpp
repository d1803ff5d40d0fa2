// Linked into every test program (cmake/modules.cmake): a global environment that, for the tests
// ctest runs with LW_TEST_NEEDS_DATA=1 (label needs-data), checks the third-party data first. When
// files are missing the program prints one line naming them and scripts/get-data.sh and exits with
// kSkipCode, which ctest reports as skipped (SKIP_RETURN_CODE of those tests); under
// LW_REQUIRE_DATA=1 (how CI runs, so the data tests never silently stop running) it exits 1 instead.
// (GoogleTest 1.12 counts a GTEST_SKIP in an environment as passed, so ctest could not tell.)
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "support/shared_data.hpp"

namespace {

constexpr int kSkipCode = 77;  // SKIP_RETURN_CODE in cmake/modules.cmake

bool env_is_one(const char* name) {
  const char* v = std::getenv(name);
  return v && std::string(v) == "1";
}

class DataGate : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!env_is_one("LW_TEST_NEEDS_DATA")) return;
    auto missing = lw::testing::missing_data_files();
    if (missing.empty()) return;
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    const std::string msg = "needs the third-party data in " + lw::testing::data_dir().string() +
                            ": missing " + list + " (get it with scripts/get-data.sh)";
    const bool required = env_is_one("LW_REQUIRE_DATA");
    std::printf("[  %s ] %s%s\n", required ? "FAILED " : "SKIPPED", msg.c_str(),
                required ? "; LW_REQUIRE_DATA=1 requires it" : "");
    std::fflush(stdout);
    std::_Exit(required ? 1 : kSkipCode);
  }
};

const auto* const gate = ::testing::AddGlobalTestEnvironment(new DataGate);

}  // namespace
