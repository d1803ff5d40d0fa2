#include "io/dir_manifest.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "io/file.hpp"
#include "io/json_read.hpp"
#include "io/sha256.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace lw::io {

namespace {
constexpr const char* kFormat = "longwriter-files";
constexpr int kVersion = 1;
}  // namespace

void write_dir_manifest(const fs::path& dir, const std::vector<std::string>& names) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& n : names)
    files.push_back({{"name", n},
                     {"bytes", static_cast<int64_t>(fs::file_size(dir / n))},
                     {"sha256", sha256_file(dir / n)}});
  nlohmann::json j = {{"format", kFormat}, {"version", kVersion}, {"files", files}};
  write_file_atomic(dir / kDirManifest, j.dump(2) + "\n");
}

void verify_dir_manifest(const fs::path& dir, const std::vector<std::string>& required) {
  const fs::path mpath = dir / kDirManifest;
  if (!fs::exists(mpath))
    fail_input(
        "{}: missing (it is written last: the directory is incomplete, or was made by a longwriter "
        "without checksums)",
        mpath.string());
  const nlohmann::json j = parse_json(read_file(mpath), mpath.string());
  std::vector<std::string> listed;
  with_json_errors(mpath.string(), [&] {
    if (j.at("format").get<std::string>() != kFormat || j.at("version").get<int>() != kVersion)
      fail_input("{}: field \"format\"/\"version\": expected \"{}\" version {}", mpath.string(), kFormat,
                 kVersion);
    for (const auto& f : j.at("files")) {
      const std::string name = f.at("name").get<std::string>();
      if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
        fail_input("{}: file name \"{}\" is not a plain name in the directory", mpath.string(), name);
      const fs::path p = dir / name;
      std::error_code ec;
      const auto size = fs::file_size(p, ec);
      if (ec) fail_input("{}: listed in {} but missing ({})", p.string(), mpath.string(), ec.message());
      const auto want = f.at("bytes").get<int64_t>();
      if (static_cast<int64_t>(size) != want)
        fail_input("{}: bytes: {} on disk, expected {} (truncated or overwritten)", p.string(), size, want);
      const std::string sum = sha256_file(p), want_sum = f.at("sha256").get<std::string>();
      if (sum != want_sum)
        fail_input("{}: sha256: {} on disk, expected {} (the contents were altered)", p.string(), sum,
                   want_sum);
      listed.push_back(name);
    }
  });
  for (const auto& r : required)
    if (std::find(listed.begin(), listed.end(), r) == listed.end())
      fail_input("{}: does not list {}", mpath.string(), r);
}

}  // namespace lw::io
