#pragma once
// Where the third-party evaluation data lives: the LongBench-Write and LongWrite-Ruler prompts, the
// reference prompt templates and the tokenizer vocabularies with their test vectors. The project does
// not ship these files; scripts/get-data.sh fetches and verifies them (data/third-party.sha256).
//
// One setting, looked up in this order:
//   1. $LONGWRITER_DATA: the data folder itself (longbench/, reference-prompts/, vocab/) or a folder
//      holding it as data/ (the layout scripts/get-data.sh writes). When set, nothing else is tried.
//   2. <LW_SHARED_DIR>/data: the shared folder named at configure time (default ../shared beside the
//      source tree).
//   3. <prefix>/share/longwriter/data beside the running binary (<prefix>/bin/longwriter): what
//      `cmake --install` and the .deb put there.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lw::util {

struct DataSearch {
  std::vector<std::filesystem::path> tried;    // the candidate folders, in lookup order
  std::optional<std::filesystem::path> found;  // the first that exists
};

// The candidate data folders and the first one that exists.
DataSearch find_data_dir();

// The path of REL (e.g. "longbench/longbench_write.jsonl") in the data folder. A missing file is an
// InputError naming WHAT needs it, every place looked at and how to get the data.
std::filesystem::path require_data_file(std::string_view rel, std::string_view what);

// The hint printed with every missing-data message.
std::string data_hint();

}  // namespace lw::util
