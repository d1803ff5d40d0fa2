#include "io/atomic_dir.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/file.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace lw::io {

namespace {

void fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("cannot open {} to sync it: {}", p.string(), std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) fail("cannot sync {}: {}", p.string(), std::strerror(err));
}

fs::path parent_of(const fs::path& p) {
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

}  // namespace

void fsync_dir(const fs::path& dir) {
  fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

void fsync_tree(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_symlink()) continue;
    if (e.is_directory())
      fsync_dir(e.path());
    else if (e.is_regular_file())
      fsync_path(e.path(), O_RDONLY);
  }
  fsync_dir(dir);
}

void check_replaceable(const fs::path& dir, const std::function<bool(const std::string&)>& ours,
                       const char* what) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir)) fail_input("{} {}: exists and is not a directory", what, dir.string());
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!ours(name) && name.find(".tmp.") == std::string::npos)
      fail_input(
          "{} {}: holds {}, which this command did not write; the whole directory is replaced, so "
          "choose an empty or new directory",
          what, dir.string(), name);
  }
}

AtomicDir::AtomicDir(fs::path target) : target_(std::move(target)) {
  while (target_.has_filename() == false && target_.has_parent_path()) target_ = target_.parent_path();
  const fs::path parent = parent_of(target_);
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) fail_input("cannot create {}: {}", parent.string(), ec.message());
  sweep_stale_temp_files(parent, target_.filename().string());  // only this target's: not our directory
  tmp_ = temp_path_for(target_);
  fs::remove_all(tmp_, ec);
  fs::create_directory(tmp_, ec);
  if (ec) fail_input("cannot create {}: {}", tmp_.string(), ec.message());
}

AtomicDir::~AtomicDir() {
  std::error_code ec;
  fs::remove_all(tmp_, ec);  // after a commit this is the old version
}

void AtomicDir::commit() {
  LW_CHECK(!committed_, "commit twice");
  fsync_tree(tmp_);
  std::error_code ec;
  if (fs::exists(target_, ec)) {
    if (!fs::is_directory(target_))
      fail_input("{} exists and is not a directory; remove it or choose another output", target_.string());
    // One atomic step: the target is the complete old or the complete new directory throughout.
    if (::renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0) {
      if (errno != EINVAL && errno != ENOSYS)
        fail("cannot swap {} into place: {}", target_.string(), std::strerror(errno));
      // A filesystem without RENAME_EXCHANGE: two renames; a kill between them leaves both
      // versions complete (TARGET.old.tmp.PID and the staged one) and the next run sweeps them.
      fs::path old = target_;
      old += fmt::format(".old.tmp.{}", ::getpid());
      fs::rename(target_, old, ec);
      if (ec) fail("cannot move {} aside: {}", target_.string(), ec.message());
      fs::rename(tmp_, target_, ec);
      if (ec) fail("cannot rename {} to {}: {}", tmp_.string(), target_.string(), ec.message());
      committed_ = true;
      fsync_dir(parent_of(target_));
      fs::remove_all(old, ec);
      return;
    }
  } else {
    fs::rename(tmp_, target_, ec);
    if (ec) fail("cannot rename {} to {}: {}", tmp_.string(), target_.string(), ec.message());
  }
  committed_ = true;
  fsync_dir(parent_of(target_));
  fs::remove_all(tmp_, ec);  // the old version, now under the temporary name
}

}  // namespace lw::io
