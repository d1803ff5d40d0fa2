#include "eval/judge.hpp"

#include <mutex>

#include "eval/ask.hpp"
#include "eval/judge_parse.hpp"
#include "eval/judge_prompt.hpp"
#include "eval/pool.hpp"
#include "eval/resume.hpp"
#include "eval/segments.hpp"
#include "text/words.hpp"
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

namespace {

struct SegmentOutcome {
  std::string net_error;  // a request failed: nothing to write
  std::string error;      // a part got no usable answer
  io::Json fields = io::Json::object();
  bool retried = false;
};

// Judges the parts of one response in order, each with the text before it as context.
SegmentOutcome judge_in_segments(net::ChatBackend& backend, const io::Record& rec, const std::string& tmpl,
                                 const JudgeOptions& opts) {
  SegmentOutcome o;
  const std::string& inst = rec.value.at("prompt").get_ref<const std::string&>();
  std::vector<std::string> parts =
      split_segments(rec.value.at("response").get_ref<const std::string&>(), opts.segments);
  io::Json scores = io::Json::array(), words = io::Json::array(), raws = io::Json::array(),
           rejected = io::Json::array();
  std::string before;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string context =
        i == 0 ? "(none: this is the beginning of the text)" : context_tail(before, opts.context_chars);
    net::ChatRequest req;
    req.messages.push_back(
        {"user",
         fill_placeholders(tmpl, {{"$INST$", inst}, {"$CONTEXT$", context}, {"$RESPONSE$", parts[i]}})});
    req.temperature = opts.temperature;
    req.max_tokens = opts.max_tokens;
    JudgeParse parsed;
    AskOutcome asked = ask_until_accepted(backend, req, opts.max_attempts, [&](const std::string& answer) {
      parsed = parse_judge_output(answer);
      return parsed.ok ? std::string() : parsed.error;
    });
    for (auto r : asked.rejected) {
      r["segment"] = i;
      rejected.push_back(std::move(r));
    }
    if (!asked.net_error.empty()) {
      o.net_error = asked.net_error;
      return o;
    }
    if (asked.attempts > 1) o.retried = true;
    if (!parsed.ok) {
      o.error = fmt::format("part {} of {}: no valid answer in {} attempts; last: {}", i + 1, parts.size(),
                            asked.attempts, parsed.error);
      break;
    }
    io::Json s = io::Json::object();
    for (int d = 0; d < kNumDimensions; ++d) s[std::string(kDimensions[d])] = parsed.scores[d];
    scores.push_back(s);
    words.push_back(text::count_words(parts[i]));
    raws.push_back(asked.raw);
    before += parts[i];
  }
  if (!rejected.empty()) o.fields["judge_rejected"] = rejected;
  if (o.error.empty()) {
    o.fields["segments"] = opts.segments;
    o.fields["segment_scores"] = scores;
    o.fields["segment_words"] = words;
    o.fields["judge_raw"] = raws;
  } else {
    o.fields["judge_error"] = o.error;
  }
  return o;
}

}  // namespace

PipelineSummary run_judge(net::ChatBackend& backend, const std::vector<io::Record>& preds,
                          const std::filesystem::path& out, const JudgeOptions& opts) {
  const bool segmented = opts.segments > 0;
  const std::string& tmpl = !opts.template_text.empty() ? opts.template_text
                            : segmented                 ? default_segment_template()
                                                        : default_judge_template();
  if (segmented)
    validate_segment_template(tmpl, "segment judge template");
  else
    validate_judge_template(tmpl, "judge template");
  LW_CHECK(opts.max_attempts >= 1, "max_attempts must be at least 1");

  PipelineSummary sum;
  size_t n = preds.size();
  if (opts.limit >= 0 && static_cast<size_t>(opts.limit) < n) n = static_cast<size_t>(opts.limit);
  sum.total = static_cast<int64_t>(n);

  DoneSet done;
  for (const auto& r : read_existing_output(out))
    if (segmented ? is_segment_judged(r.value) : is_judged(r.value)) done.add(judge_key(r.value));
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
    if (segmented) {
      SegmentOutcome o = judge_in_segments(backend, rec, tmpl, opts);
      std::lock_guard lk(mu);
      if (!o.net_error.empty()) {
        sum.add_failure(fmt::format("{}: {}", rec.where(), o.net_error));  // not written: a rerun asks again
      } else {
        io::Json outv = rec.value;
        outv.update(o.fields);
        if (o.error.empty()) {
          ++sum.completed;
          ++n_ok;
          if (o.retried) ++sum.retried;
        } else {
          sum.add_failure(fmt::format("{}: {}", rec.where(), o.error));
        }
        appender.append(outv);
        appender.checkpoint();
      }
      progress.add(1);
      return;
    }
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
