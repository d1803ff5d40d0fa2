#include "eval/judge.hpp"

#include <mutex>

#include "eval/ask.hpp"
#include "eval/judge_parse.hpp"
#include "eval/judge_prompt.hpp"
#include "eval/pool.hpp"
#include "eval/resume.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace lw::eval {

std::vector<io::Record> load_predictions(const std::filesystem::path& path) {
  io::JsonlReader reader(path);
  reader.set_tolerate_torn_tail(true);  // a prediction file being written by a killed run
  std::vector<io::Record> recs;
  io::Record r;
  while (reader.next(r)) {
    r.get_string("prompt");
    r.get_string("response");
    recs.push_back(r);
  }
  return recs;
}

bool is_judged(const io::Json& line) {
  auto it = line.find("scores");
  if (it == line.end() || !it->is_object()) return false;
  for (auto d : kDimensions) {
    auto s = it->find(std::string(d));
    if (s == it->end() || !s->is_number_integer() || s->get<int>() < 1 || s->get<int>() > 5) return false;
  }
  return true;
}

PipelineSummary run_judge(net::ChatBackend& backend, const std::vector<io::Record>& preds,
                          const std::filesystem::path& out, const JudgeOptions& opts) {
  const std::string& tmpl = opts.template_text.empty() ? default_judge_template() : opts.template_text;
  validate_judge_template(tmpl, "judge template");
  LW_CHECK(opts.max_attempts >= 1, "max_attempts must be at least 1");

  PipelineSummary sum;
  size_t n = preds.size();
  if (opts.limit >= 0 && static_cast<size_t>(opts.limit) < n) n = static_cast<size_t>(opts.limit);
  sum.total = static_cast<int64_t>(n);

  DoneSet done;
  for (const auto& r : read_existing_output(out))
    if (is_judged(r.value)) done.add(judge_key(r.value));
  std::vector<size_t> todo;
  for (size_t i = 0; i < n; ++i) {
    if (done.take(judge_key(preds[i].value))) ++sum.already_done;
    else todo.push_back(i);
  }
  if (sum.already_done > 0)
    log::info("{}: {} of {} predictions already judged; judging the other {}", out.string(), sum.already_done, n,
              todo.size());
  if (todo.empty()) return sum;

  io::JsonlAppender appender(out);
  std::mutex mu;
  Progress progress("judge", static_cast<int64_t>(todo.size()), "responses");
  int64_t n_ok = 0, n_retried = 0;

  parallel_for(todo.size(), opts.concurrency, [&](size_t k) {
    const io::Record& rec = preds[todo[k]];
    net::ChatRequest req;
    req.messages.push_back({"user", fill_judge_template(tmpl, rec.value.at("prompt").get<std::string>(),
                                                        rec.value.at("response").get<std::string>())});
    req.temperature = opts.temperature;
    req.max_tokens = opts.max_tokens;

    JudgeParse parsed;
    AskOutcome asked = ask_until_accepted(backend, req, opts.max_attempts, [&](const std::string& answer) {
      parsed = parse_judge_output(answer);
      if (!parsed.ok) log::debug("{}: judge answer rejected ({})", rec.where(), parsed.error);
      return parsed.ok ? std::string() : parsed.error;
    });
    const std::string& raw = asked.raw;
    const std::string& net_error = asked.net_error;
    const io::Json& rejected = asked.rejected;
    int attempts = asked.attempts;

    std::lock_guard lk(mu);
    if (!net_error.empty() && !parsed.ok) {
      // No answer to keep: not written, so a rerun asks again.
      std::string line = fmt::format("{}: {}", rec.where(), net_error);
      log::warn("judge request failed: {}", line);
      sum.add_failure(line);
    } else {
      io::Json outv = rec.value;
      outv["judge_attempts"] = attempts;
      if (!rejected.empty()) outv["judge_rejected"] = rejected;
      if (parsed.ok) {
        io::Json scores = io::Json::object();
        for (int d = 0; d < kNumDimensions; ++d) scores[std::string(kDimensions[d])] = parsed.scores[d];
        outv["scores"] = scores;
        outv["analysis"] = parsed.analysis;
        outv["judge_raw"] = raw;
        ++sum.completed;
        ++n_ok;
        if (attempts > 1) {
          ++sum.retried;
          ++n_retried;
        }
      } else {
        outv["judge_error"] = fmt::format("no valid answer in {} attempts; last: {}", attempts, parsed.error);
        std::string line = fmt::format("{}: {}", rec.where(), outv["judge_error"].get<std::string>());
        log::warn("judge answer unusable: {}", line);
        sum.add_failure(line);
      }
      appender.append(outv);
      appender.checkpoint();
    }
    progress.set_detail(fmt::format("{} scored, {} needed a retry, {} failed", n_ok, n_retried, sum.failed));
    progress.add(1);
  });
  progress.finish();
  return sum;
}

}  // namespace lw::eval
