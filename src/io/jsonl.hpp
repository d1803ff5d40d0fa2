#pragma once
// JSONL reading and writing for every command. Reader errors name the file, line and field:
//   pred.jsonl:17: field "length": expected integer
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file.hpp"

namespace lw::io {

using Json = nlohmann::json;

// One parsed JSONL line with its origin, so field errors can name file and line.
struct Record {
  Json value;
  std::string path;
  int64_t line = 0;

  std::string where() const;  // "path:line"
  bool has(const std::string& field) const;
  // Required fields: InputError "path:line: field "f": expected string" when absent or mistyped.
  std::string get_string(const std::string& field) const;
  int64_t get_int(const std::string& field) const;   // accepts integral floats (3.0) too
  double get_number(const std::string& field) const;
  // Optional fields: the fallback when absent or null; InputError when present and mistyped.
  std::string get_string_or(const std::string& field, const std::string& fallback) const;
  int64_t get_int_or(const std::string& field, int64_t fallback) const;
  double get_number_or(const std::string& field, double fallback) const;
};

// Streaming reader: one line at a time, blank lines skipped.
class JsonlReader {
 public:
  // "-" reads stdin.
  explicit JsonlReader(const std::filesystem::path& path);
  // Returns false at end of file. A malformed line throws InputError naming file:line, unless
  // it is the final line and has no trailing newline (a write cut short by a kill) and
  // tolerate_torn_tail is set, in which case it is skipped with a warning.
  bool next(Record& rec);
  void set_tolerate_torn_tail(bool on) { tolerate_torn_tail_ = on; }

 private:
  std::string path_;
  std::ifstream file_;
  std::istream* in_ = nullptr;
  int64_t line_ = 0;
  bool tolerate_torn_tail_ = false;
};

// Reads a whole JSONL file.
std::vector<Record> read_jsonl(const std::filesystem::path& path);

// Serialises one JSON value as a single line (UTF-8 kept as is; invalid UTF-8 replaced).
std::string to_line(const Json& value);

// Writes a whole JSONL file atomically (temp file + rename).
class JsonlWriter {
 public:
  explicit JsonlWriter(const std::filesystem::path& path) : file_(path) {}
  void write(const Json& value) { file_.write(to_line(value)); }
  void commit() { file_.commit(); }

 private:
  AtomicFile file_;
};

// Appends lines to a JSONL file that survives kill -9: each checkpoint() fsyncs. On open, a torn
// final line (no trailing newline) left by a previous crash is cut off so appends stay parseable.
class JsonlAppender {
 public:
  explicit JsonlAppender(const std::filesystem::path& path);
  ~JsonlAppender();
  JsonlAppender(const JsonlAppender&) = delete;
  JsonlAppender& operator=(const JsonlAppender&) = delete;

  void append(const Json& value);  // written with one write(2) call
  void checkpoint();               // fsync
 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace lw::io
