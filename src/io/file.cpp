#include "io/file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "io/write_guard.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::io {

namespace fs = std::filesystem;

AtomicFile::AtomicFile(fs::path target) : target_(std::move(target)) {
  tmp_ = temp_path_for(target_);
  if (target_.has_parent_path()) fs::create_directories(target_.parent_path());
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) fail("cannot create {}: {}", tmp_.string(), std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (f_) std::fclose(f_);
  if (!committed_) {
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void AtomicFile::write(std::string_view data) {
  LW_CHECK(f_ != nullptr, "write after commit");
  write_bytes(f_, data.data(), data.size(), target_);
}

void AtomicFile::sync() {
  LW_CHECK(f_ != nullptr, "sync after commit");
  if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0) fail_write(target_, errno, 0);
  synced_ = true;
}

void AtomicFile::commit() {
  LW_CHECK(f_ != nullptr, "commit twice");
  if (!synced_) sync();
  std::fclose(f_);
  f_ = nullptr;
  std::error_code ec;
  fs::rename(tmp_, target_, ec);
  if (ec) fail("cannot rename {} to {}: {}", tmp_.string(), target_.string(), ec.message());
  committed_ = true;
  fs::path dir = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  AtomicFile f(path);
  f.write(content);
  f.commit();
}

void write_files_atomic(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::unique_ptr<AtomicFile>> staged;
  for (const auto& [name, content] : files) {
    staged.push_back(std::make_unique<AtomicFile>(dir / name));
    staged.back()->write(content);
  }
  for (auto& f : staged) f->sync();
  for (auto& f : staged) f->commit();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input("{}: cannot open file: {}", path.string(), std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_stdin() {
  std::ostringstream ss;
  ss << std::cin.rdbuf();
  return ss.str();
}

fs::path temp_path_for(const fs::path& target) {
  fs::path p = target;
  p += fmt::format(".tmp.{}", ::getpid());
  return p;
}

int sweep_stale_temp_files(const fs::path& dir, const std::string& only_of) {
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto dot = name.rfind(".tmp.");
    if (dot == std::string::npos || dot + 5 >= name.size()) continue;
    if (!only_of.empty() && name.substr(0, dot) != only_of && name.substr(0, dot) != only_of + ".old")
      continue;
    const std::string pid_text = name.substr(dot + 5);
    if (pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid == ::getpid() || (::kill(pid, 0) == 0 || errno == EPERM)) continue;  // still running
    std::error_code rm;
    if (fs::remove_all(it->path(), rm) > 0 && !rm) {  // a file, or a staged directory (AtomicDir)
      ++removed;
      log::info("removed {} (left by an interrupted run, process {})", it->path().string(), pid);
    }
  }
  return removed;
}

}  // namespace lw::io
