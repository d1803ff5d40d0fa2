#include "demo/stages.hpp"

#include <chrono>
#include <fstream>

#include "io/file.hpp"
#include "io/sha256.hpp"
#include "util/log.hpp"

namespace lw::demo {

namespace fs = std::filesystem;

StageCache::StageCache(fs::path dir, nlohmann::json settings) : dir_(std::move(dir)), settings_(std::move(settings)) {
  fs::create_directories(dir_ / "stages");
}

nlohmann::json StageCache::run(const std::string& name, const std::function<nlohmann::json()>& fn) {
  fs::path rec = dir_ / "stages" / (name + ".json");
  if (fs::exists(rec)) {
    try {
      auto j = nlohmann::json::parse(io::read_file(rec));
      if (!j.contains("result") || j.value("sha256", std::string()) != io::sha256_hex(j["result"].dump())) {
        log::warn(
            "demo: {}: field \"result\" does not match its sha256 (damaged or edited); running stage {} "
            "again",
            rec.string(), name);
      } else if (j.value("settings", nlohmann::json()) == settings_) {
        log::info("demo: stage {} already done (cached in {})", name, rec.string());
        return j["result"];
      } else {
        log::info("demo: stage {} was run with other settings; running it again", name);
      }
    } catch (const std::exception&) {
      log::warn("demo: {} is unreadable; running stage {} again", rec.string(), name);
    }
  }
  log::info("demo: stage {} ...", name);
  auto t0 = std::chrono::steady_clock::now();
  nlohmann::json result = fn();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  timings_.emplace_back(name, s);
  io::write_file_atomic(rec, nlohmann::json{{"settings", settings_},
                                            {"result", result},
                                            {"sha256", io::sha256_hex(result.dump())},
                                            {"seconds", s}}
                                 .dump(2));
  log::info("demo: stage {} done in {:.1f} s", name, s);
  return result;
}

}  // namespace lw::demo
