#include "util/data_dir.hpp"

#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

#include "util/error.hpp"

#ifndef LW_DEFAULT_SHARED_DIR
#define LW_DEFAULT_SHARED_DIR ""
#endif

namespace fs = std::filesystem;

namespace lw::util {
namespace {

// The folder of the running binary (/proc/self/exe); empty when it cannot be read.
fs::path exe_dir() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p.parent_path();
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

}  // namespace

DataSearch find_data_dir() {
  DataSearch s;
  if (const char* env = std::getenv("LONGWRITER_DATA"); env && *env) {
    fs::path p(env);
    // Either the data folder itself or a shared-style folder holding data/.
    s.tried.push_back(is_dir(p / "data") ? p / "data" : p);
  } else {
    if (std::string_view(LW_DEFAULT_SHARED_DIR).size() > 0)
      s.tried.push_back(fs::path(LW_DEFAULT_SHARED_DIR) / "data");
    if (auto bin = exe_dir(); !bin.empty())
      s.tried.push_back(bin.parent_path() / "share" / "longwriter" / "data");
  }
  for (const auto& p : s.tried) {
    if (is_dir(p)) {
      s.found = p.lexically_normal();
      break;
    }
  }
  return s;
}

std::string data_hint() {
  return "get it with scripts/get-data.sh (from a source checkout) and point LONGWRITER_DATA at the folder, "
         "or pass the file explicitly";
}

fs::path require_data_file(std::string_view rel, std::string_view what) {
  auto s = find_data_dir();
  if (s.found) {
    auto p = *s.found / fs::path(rel);
    std::error_code ec;
    if (fs::exists(p, ec)) return p;
  }
  std::string where;
  for (const auto& p : s.tried)
    where += fmt::format("{}{}", where.empty() ? "" : ", ", (p / fs::path(rel)).string());
  if (where.empty()) where = "(no candidate folder)";
  fail_input("{} needs the third-party data file {}: not found (looked at {}); {}", what, rel, where,
             data_hint());
}

}  // namespace lw::util
