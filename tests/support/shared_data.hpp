#pragma once
// The third-party data the tests use for compatibility (LongBench prompts, reference templates, real
// vocabularies with their test vectors): found where the commands find it (util/data_dir.hpp:
// $LONGWRITER_DATA, then the configure-time LW_SHARED_DIR). Tests that read it are registered with
// the ctest label needs-data (lw_add_test's NEEDS_DATA in cmake/modules.cmake); data_gate.cpp skips
// them when the data is absent, or fails them under LW_REQUIRE_DATA=1.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lw::testing {

// The data folder (longbench/, reference-prompts/, vocab/); the first candidate when none exists.
std::filesystem::path data_dir();

// data_dir() / REL as a string, e.g. data_file("vocab/cl100k_base.tiktoken").
std::string data_file(std::string_view rel);

// The files of data/third-party.sha256 that data_dir() lacks (paths relative to it).
std::vector<std::string> missing_data_files();

}  // namespace lw::testing
