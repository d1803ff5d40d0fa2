#include "support/shared_data.hpp"

#include <fstream>
#include <sstream>

#include "util/data_dir.hpp"

namespace fs = std::filesystem;

namespace lw::testing {

fs::path data_dir() {
  auto s = util::find_data_dir();
  if (s.found) return *s.found;
  return s.tried.empty() ? fs::path("data") : s.tried.front();
}

std::string data_file(std::string_view rel) {
  return (data_dir() / fs::path(rel)).string();
}

std::vector<std::string> missing_data_files() {
  std::vector<std::string> missing;
  std::ifstream in(fs::path(LW_SOURCE_DIR) / "data" / "third-party.sha256");
  const auto dir = data_dir();
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string sha, rel;
    if (!(ls >> sha >> rel) || sha[0] == '#') continue;
    std::error_code ec;
    if (!fs::exists(dir / rel, ec)) missing.push_back(rel);
  }
  if (!in.eof() && missing.empty()) missing.push_back("(data/third-party.sha256 unreadable)");
  return missing;
}

}  // namespace lw::testing
