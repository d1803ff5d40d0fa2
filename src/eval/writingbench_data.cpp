#include "eval/writingbench_data.hpp"

#include <set>

#include "util/error.hpp"

namespace lw::eval {

std::string criterion_name(const io::Json& criterion) {
  return criterion.at("name").get<std::string>();
}

std::vector<WbQuery> load_writingbench(const std::filesystem::path& path) {
  std::vector<WbQuery> out;
  std::set<int64_t> seen;
  for (const io::Record& r : io::read_jsonl(path)) {
    WbQuery q;
    q.where = r.where();
    auto idx = r.value.find("index");
    if (idx == r.value.end() || !idx->is_number_integer())
      fail_input("{}: field \"index\": expected an integer", r.where());
    q.index = idx->get<int64_t>();
    if (!seen.insert(q.index).second)
      fail_input("{}: field \"index\": {} appears twice in the file", r.where(), q.index);
    q.query = r.get_string("query");
    q.domain1 = r.get_string_or("domain1", "");
    q.domain2 = r.get_string_or("domain2", "");
    const char* list = r.has("checklist") ? "checklist" : "criteria";
    auto cl = r.value.find(list);
    if (cl == r.value.end() || !cl->is_array() || cl->empty())
      fail_input("{}: field \"checklist\": expected a non-empty array of criteria", r.where());
    std::set<std::string> names;
    for (size_t i = 0; i < cl->size(); ++i) {
      const io::Json& c = (*cl)[i];
      if (!c.is_object() || !c.contains("name") || !c.at("name").is_string())
        fail_input("{}: field \"{}[{}].name\": expected a string", r.where(), list, i);
      if (!names.insert(c.at("name").get<std::string>()).second)
        fail_input("{}: field \"{}[{}].name\": \"{}\" appears twice in this query", r.where(), list, i,
                   c.at("name").get<std::string>());
      q.checklist.push_back(c);
    }
    out.push_back(std::move(q));
  }
  if (out.empty()) fail_input("{}: no queries in the file", path.string());
  return out;
}

std::map<int64_t, const WbQuery*> index_queries(const std::vector<WbQuery>& qs) {
  std::map<int64_t, const WbQuery*> m;
  for (const auto& q : qs) m[q.index] = &q;
  return m;
}

std::vector<io::Record> writingbench_prompts(const std::vector<WbQuery>& qs) {
  std::vector<io::Record> out;
  for (const auto& q : qs) {
    io::Record r;
    r.value = {{"index", q.index}, {"domain1", q.domain1}, {"domain2", q.domain2}, {"prompt", q.query}};
    auto colon = q.where.rfind(':');
    r.path = q.where.substr(0, colon);
    r.line = colon == std::string::npos ? 0 : std::stoll(q.where.substr(colon + 1));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace lw::eval
