#include "eval/resume.hpp"

namespace lw::eval {

std::vector<io::Record> read_existing_output(const std::filesystem::path& path) {
  std::vector<io::Record> out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  io::JsonlReader reader(path);
  reader.set_tolerate_torn_tail(true);
  io::Record rec;
  while (reader.next(rec)) out.push_back(rec);
  return out;
}

bool DoneSet::take(const std::string& key) {
  auto it = count_.find(key);
  if (it == count_.end() || it->second <= 0) return false;
  --it->second;
  return true;
}

namespace {
std::string str_field(const io::Json& item, const char* name) {
  auto it = item.find(name);
  return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

std::string predict_key(const io::Json& item) { return str_field(item, "prompt"); }

std::string judge_key(const io::Json& item) {
  return str_field(item, "prompt") + '\x1f' + str_field(item, "response");
}

}  // namespace lw::eval
