#pragma once
// Directories that are replaced, never destroyed. AtomicDir stages a new version of a directory
// beside the old one (TARGET.tmp.PID: same parent, so the same filesystem), and commit() fsyncs
// every file in it, then swaps it with the target in one rename (renameat2 RENAME_EXCHANGE), so a
// failure at any byte, or a kill at any moment, leaves either the complete old directory or the
// complete new one. The old version is removed after the swap; a run killed before that leaves a
// TARGET.tmp.PID of a dead process, which the next AtomicDir for the same parent sweeps.
#include <filesystem>
#include <functional>
#include <string>

namespace lw::io {

class AtomicDir {
 public:
  // Sweeps the temporaries of dead runs beside target, then creates the empty staging directory.
  explicit AtomicDir(std::filesystem::path target);
  ~AtomicDir();  // removes the staging directory unless committed
  AtomicDir(const AtomicDir&) = delete;
  AtomicDir& operator=(const AtomicDir&) = delete;

  // Where the new contents are written.
  const std::filesystem::path& path() const { return tmp_; }
  const std::filesystem::path& target() const { return target_; }
  // fsyncs the staged tree, swaps it into place, fsyncs the parent, removes the old version.
  void commit();

 private:
  std::filesystem::path target_, tmp_;
  bool committed_ = false;
};

// Before an AtomicDir replaces dir: refuses (InputError) when dir holds an entry that `ours` does
// not claim, since the whole directory is replaced. `what` names the output ("--out", "OUT").
void check_replaceable(const std::filesystem::path& dir, const std::function<bool(const std::string&)>& ours,
                       const char* what);

// fsyncs every regular file under dir and every directory, dir included.
void fsync_tree(const std::filesystem::path& dir);
// fsyncs one directory (its entries: after a rename or a new file).
void fsync_dir(const std::filesystem::path& dir);

}  // namespace lw::io
