#include "eval/writingbench_judge.hpp"

#include <mutex>

#include "eval/ask.hpp"
#include "eval/pool.hpp"
#include "eval/resume.hpp"
#include "eval/writingbench_parse.hpp"
#include "eval/writingbench_prompt.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace lw::eval {

namespace {

std::string wb_key(const io::Json& line) {
  auto r = line.find("response");
  return line.at("index").dump() + '\x1f' + (r != line.end() && r->is_string() ? r->get<std::string>() : "");
}

bool valid_eval(const io::Json& e) {
  if (!e.is_object()) return false;
  auto s = e.find("score"), r = e.find("reason");
  return s != e.end() && s->is_number_integer() && s->get<int64_t>() >= 1 && s->get<int64_t>() <= 10 &&
         r != e.end() && r->is_string();
}

}  // namespace

std::vector<io::Record> load_wb_predictions(const std::filesystem::path& path) {
  io::JsonlReader reader(path);
  reader.set_tolerate_torn_tail(true);
  std::vector<io::Record> out;
  io::Record r;
  while (reader.next(r)) {
    auto idx = r.value.find("index");
    if (idx == r.value.end() || !idx->is_number_integer())
      fail_input("{}: field \"index\": expected an integer", r.where());
    r.get_string("response");
    out.push_back(r);
  }
  return out;
}

bool is_wb_scored(const io::Json& line) {
  if (line.contains("judge_error") || !line.contains("index")) return false;
  auto it = line.find("scores");
  if (it == line.end() || !it->is_object() || it->empty()) return false;
  for (const auto& [name, evals] : it->items()) {
    if (!evals.is_array() || evals.empty()) return false;
    for (const auto& e : evals)
      if (!valid_eval(e)) return false;
  }
  return true;
}

PipelineSummary run_writingbench_judge(net::ChatBackend& backend, const std::vector<io::Record>& preds,
                                       const std::vector<WbQuery>& queries, const std::filesystem::path& out,
                                       const CriticOptions& opts) {
  const std::string& tmpl = opts.template_text.empty() ? default_critic_template() : opts.template_text;
  validate_critic_template(tmpl, "critic template");
  LW_CHECK(opts.max_attempts >= 1, "max_attempts must be at least 1");
  std::string system = opts.system.empty() ? default_critic_system() : opts.system == "-" ? "" : opts.system;
  auto by_index = index_queries(queries);

  PipelineSummary sum;
  size_t n = preds.size();
  if (opts.limit >= 0 && static_cast<size_t>(opts.limit) < n) n = static_cast<size_t>(opts.limit);
  sum.total = static_cast<int64_t>(n);
  for (size_t i = 0; i < n; ++i)
    if (!by_index.count(preds[i].value.at("index").get<int64_t>()))
      fail_input("{}: field \"index\": {} is not in the query file", preds[i].where(),
                 preds[i].value.at("index").dump());

  DoneSet done;
  for (const auto& r : read_existing_output(out))
    if (is_wb_scored(r.value)) done.add(wb_key(r.value));
  std::vector<size_t> todo;
  for (size_t i = 0; i < n; ++i) {
    if (done.take(wb_key(preds[i].value)))
      ++sum.already_done;
    else
      todo.push_back(i);
  }
  if (sum.already_done > 0)
    log::info("{}: {} of {} responses already scored; judging the other {}", out.string(), sum.already_done,
              n, todo.size());
  if (todo.empty()) return sum;

  io::JsonlAppender appender(out);
  std::mutex mu;
  Progress progress("writingbench judge", static_cast<int64_t>(todo.size()), "responses");
  int64_t n_ok = 0;

  parallel_for(todo.size(), opts.concurrency, [&](size_t k) {
    const io::Record& rec = preds[todo[k]];
    const WbQuery& q = *by_index.at(rec.value.at("index").get<int64_t>());
    std::string_view response = judged_part(rec.value.at("response").get_ref<const std::string&>());
    io::Json scores = io::Json::object(), raws = io::Json::object(), attempts_of = io::Json::object();
    io::Json rejected = io::Json::array();
    std::string net_error, judge_error;
    bool retried = false;
    for (const io::Json& crit : q.checklist) {
      std::string name = criterion_name(crit);
      net::ChatRequest req;
      if (!system.empty()) req.messages.push_back({"system", system});
      req.messages.push_back({"user", fill_critic_template(tmpl, q.query, response, crit)});
      req.temperature = opts.temperature;
      req.top_p = opts.top_p;
      req.max_tokens = opts.max_tokens;
      CriticParse parsed;
      AskOutcome asked = ask_until_accepted(backend, req, opts.max_attempts, [&](const std::string& answer) {
        parsed = parse_critic_reply(answer);
        return parsed.ok ? std::string() : parsed.error;
      });
      for (auto r : asked.rejected) {
        r["criterion"] = name;
        rejected.push_back(std::move(r));
      }
      net_error = asked.net_error;
      int attempts = asked.attempts;
      const std::string& raw = asked.raw;
      if (!net_error.empty()) break;
      attempts_of[name] = attempts;
      if (attempts > 1) retried = true;
      if (!parsed.ok) {
        judge_error = fmt::format("criterion \"{}\": no usable reply in {} attempts; last: {}", name,
                                  attempts, parsed.error);
        break;
      }
      scores[name] = io::Json::array({{{"score", parsed.score}, {"reason", parsed.reason}}});
      raws[name] = raw;
    }

    std::lock_guard lk(mu);
    if (!net_error.empty()) {
      std::string line = fmt::format("{} (index {}): {}", rec.where(), q.index, net_error);
      log::warn("critic request failed: {}", line);
      sum.add_failure(line);  // not written: a rerun asks again
    } else {
      io::Json outv = rec.value;
      outv["judge_attempts"] = attempts_of;
      if (!rejected.empty()) outv["judge_rejected"] = rejected;
      if (judge_error.empty()) {
        outv["scores"] = scores;
        outv["judge_raw"] = raws;
        ++sum.completed;
        ++n_ok;
        if (retried) ++sum.retried;
      } else {
        outv["judge_error"] = judge_error;
        std::string line = fmt::format("{} (index {}): {}", rec.where(), q.index, judge_error);
        log::warn("critic reply unusable: {}", line);
        sum.add_failure(line);
      }
      appender.append(outv);
      appender.checkpoint();
    }
    progress.set_detail(fmt::format("{} scored, {} failed", n_ok, sum.failed));
    progress.add(1);
  });
  progress.finish();
  return sum;
}

}  // namespace lw::eval
