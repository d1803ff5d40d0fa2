#include "io/jsonl.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>

#include "io/json_read.hpp"
#include "io/write_guard.hpp"
#include "text/utf8.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::io {

namespace fs = std::filesystem;

namespace {

const char* type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::string: return "string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    default: return "value";
  }
}

[[noreturn]] void field_error(const Record& r, const std::string& field, const char* expected) {
  if (!r.value.is_object() || !r.value.contains(field))
    fail_input("{}: field \"{}\": missing (expected {})", r.where(), field, expected);
  fail_input("{}: field \"{}\": expected {}, got {}", r.where(), field, expected,
             type_name(r.value.at(field)));
}

bool present(const Record& r, const std::string& f) {
  return r.value.is_object() && r.value.contains(f) && !r.value.at(f).is_null();
}

}  // namespace

std::string Record::where() const { return fmt::format("{}:{}", path, line); }

bool Record::has(const std::string& field) const { return present(*this, field); }

std::string Record::get_string(const std::string& field) const {
  if (!present(*this, field) || !value.at(field).is_string()) field_error(*this, field, "string");
  return value.at(field).get<std::string>();
}

int64_t Record::get_int(const std::string& field) const {
  if (present(*this, field)) {
    const Json& v = value.at(field);
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      fail_input("{}: field \"{}\": {} is out of range for an integer", where(), field, v.get<uint64_t>());
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_float()) {
      double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
    }
  }
  field_error(*this, field, "integer");
}

double Record::get_number(const std::string& field) const {
  if (!present(*this, field) || !value.at(field).is_number()) field_error(*this, field, "number");
  return value.at(field).get<double>();
}

std::string Record::get_string_or(const std::string& field, const std::string& fallback) const {
  return present(*this, field) ? get_string(field) : fallback;
}
int64_t Record::get_int_or(const std::string& field, int64_t fallback) const {
  return present(*this, field) ? get_int(field) : fallback;
}
double Record::get_number_or(const std::string& field, double fallback) const {
  return present(*this, field) ? get_number(field) : fallback;
}

JsonlReader::JsonlReader(const fs::path& path) : path_(path.string()) {
  if (path_ == "-") {
    in_ = &std::cin;
    path_ = "<stdin>";
    return;
  }
  file_.open(path, std::ios::binary);
  if (!file_) fail_input("{}: cannot open file: {}", path_, std::strerror(errno));
  in_ = &file_;
}

bool JsonlReader::next(Record& rec) {
  std::string line;
  while (std::getline(*in_, line)) {
    ++line_;
    bool torn = in_->eof();  // the last line had no trailing newline
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    rec.path = path_;
    rec.line = line_;
    try {
      rec.value = parse_json(line, rec.where());
    } catch (const InputError&) {
      if (torn && tolerate_torn_tail_) {
        log::warn("{}:{}: ignoring an incomplete final line (an interrupted write)", path_, line_);
        return false;
      }
      throw;
    }
    if (!rec.value.is_object()) fail_input("{}:{}: expected a JSON object, got {}", path_, line_, type_name(rec.value));
    return true;
  }
  return false;
}

std::vector<Record> read_jsonl(const fs::path& path) {
  JsonlReader r(path);
  std::vector<Record> out;
  Record rec;
  while (r.next(rec)) out.push_back(rec);
  return out;
}

std::string to_line(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

JsonlAppender::JsonlAppender(const fs::path& path) : path_(path.string()) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open {} for appending: {}", path_, std::strerror(errno));
  struct stat st{};
  if (::fstat(fd_, &st) == 0 && st.st_size > 0) {
    // Cut a torn final line so the next append starts on a fresh line.
    off_t size = st.st_size;
    char c = 0;
    if (::pread(fd_, &c, 1, size - 1) == 1 && c != '\n') {
      const off_t chunk = 4096;
      off_t pos = size;
      off_t keep = 0;
      std::string buf;
      while (pos > 0) {
        off_t start = pos > chunk ? pos - chunk : 0;
        buf.resize(static_cast<size_t>(pos - start));
        if (::pread(fd_, buf.data(), buf.size(), start) != static_cast<ssize_t>(buf.size())) break;
        auto nl = buf.rfind('\n');
        if (nl != std::string::npos) {
          keep = start + static_cast<off_t>(nl) + 1;
          break;
        }
        pos = start;
      }
      log::warn("{}: removing an incomplete final line left by an interrupted run", path_);
      if (::ftruncate(fd_, keep) != 0) fail("cannot truncate {}: {}", path_, std::strerror(errno));
    }
  }
}

JsonlAppender::~JsonlAppender() {
  if (fd_ >= 0) {
    ::fsync(fd_);
    ::close(fd_);
  }
}

void JsonlAppender::append(const Json& value) {
  std::string line = to_line(value);
  write_fd(fd_, line.data(), line.size(), path_);
}

void JsonlAppender::checkpoint() {
  if (::fsync(fd_) != 0) fail("cannot fsync {}: {}", path_, std::strerror(errno));
}

}  // namespace lw::io
