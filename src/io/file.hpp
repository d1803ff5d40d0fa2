#pragma once
// Files that are never left half-written: AtomicFile writes to a temporary file beside the target
// and renames it into place on commit(); if commit() is never reached the target is untouched.
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lw::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view data);
  // Flushes and fsyncs the temporary file (where a full disk shows); commit() does it if not done.
  void sync();
  // Flushes, fsyncs and renames the temporary file over the target (then fsyncs the directory).
  void commit();
  const std::filesystem::path& target() const { return target_; }

 private:
  std::filesystem::path target_, tmp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false, synced_ = false;
};

// Writes a whole file atomically.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);
// Writes several files of dir as one: every one is written and synced before the first is renamed
// into place, so a failure while writing (a full disk) leaves all the old versions.
void write_files_atomic(const std::filesystem::path& dir,
                        const std::vector<std::pair<std::string, std::string>>& name_and_content);
// Reads a whole file; throws InputError naming the path if it cannot be read.
std::string read_file(const std::filesystem::path& path);
// Reads all of stdin.
std::string read_stdin();

// Every temporary file of this process is named TARGET.tmp.PID: the run that made it is in its name.
std::filesystem::path temp_path_for(const std::filesystem::path& target);
// Removes the temporary files (NAME.tmp.PID) in dir whose process is gone: what a run killed with
// SIGKILL left behind: files, and the directories AtomicDir stages. Those of live processes are
// kept. only_of: just the temporaries of that name (ONLY_OF.tmp.PID, ONLY_OF.old.tmp.PID), in a
// directory that is not ours alone. Returns how many were removed.
int sweep_stale_temp_files(const std::filesystem::path& dir, const std::string& only_of = "");

}  // namespace lw::io
