#include "eval/arena_judge.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "eval/ask.hpp"
#include "eval/judge_prompt.hpp"
#include "eval/pool.hpp"
#include "eval/resume.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace lw::eval {

const std::string& default_arena_template() {
  static const std::string t =
      "Two AI assistants answered the same writing request. Decide which answer serves the user better: "
      "how well it does what was asked, its accuracy, organisation, clarity, depth and how well it reads. "
      "Whether it has the length the user asked for counts; length beyond that does not. Which answer "
      "comes first says nothing about its quality.\n"
      "\n"
      "=== USER REQUEST ===\n$INST$\n=== END OF USER REQUEST ===\n"
      "\n"
      "=== ANSWER A ===\n$RESPONSE_A$\n=== END OF ANSWER A ===\n"
      "\n"
      "=== ANSWER B ===\n$RESPONSE_B$\n=== END OF ANSWER B ===\n"
      "\n"
      "Think briefly, then end with exactly one JSON object: {\"winner\": \"A\"}, {\"winner\": \"B\"} or "
      "{\"winner\": \"tie\"}.\n";
  return t;
}

void validate_arena_template(std::string_view tmpl, const std::string& origin) {
  for (std::string_view f : {"$INST$", "$RESPONSE_A$", "$RESPONSE_B$"})
    if (tmpl.find(f) == std::string_view::npos)
      fail_input("{}: arena template has no {} placeholder", origin, f);
}

std::string fill_arena_template(std::string_view tmpl, std::string_view inst, std::string_view a,
                                std::string_view b) {
  return fill_placeholders(tmpl, {{"$INST$", inst}, {"$RESPONSE_A$", a}, {"$RESPONSE_B$", b}});
}

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string verdict_word(const std::string& w) {
  std::string l = lower(w);
  if (l == "a") return "A";
  if (l == "b") return "B";
  if (l == "tie" || l == "draw" || l == "equal" || l == "c") return "tie";
  return "";
}

}  // namespace

std::string parse_arena_verdict(std::string_view reply, std::string* error) {
  for (size_t open = reply.find('{'); open != std::string_view::npos; open = reply.find('{', open + 1)) {
    size_t close = reply.find('}', open);
    if (close == std::string_view::npos) break;
    io::Json v = io::Json::parse(reply.substr(open, close - open + 1), nullptr, false);
    if (v.is_discarded() || !v.is_object() || !v.contains("winner") || !v.at("winner").is_string()) continue;
    std::string w = verdict_word(v.at("winner").get<std::string>());
    if (!w.empty()) return w;
    if (error) *error = fmt::format("\"winner\" must be A, B or tie, got {}", v.at("winner").dump());
    return "";
  }
  for (const char* tag : {"[[A]]", "[[B]]", "[[C]]"}) {
    size_t p = reply.rfind(tag);
    if (p != std::string_view::npos && reply.find("[[", p + 5) == std::string_view::npos)
      return verdict_word(std::string(1, tag[2]));
  }
  if (error) *error = "no {\"winner\": ...} object and no [[A]]/[[B]]/[[C]] verdict in the reply";
  return "";
}

std::vector<std::string> shared_prompts(const std::vector<ArenaModel>& models) {
  std::vector<std::set<std::string>> have;
  for (const auto& m : models) {
    std::set<std::string> s;
    for (const auto& r : m.preds) s.insert(predict_key(r.value));
    have.push_back(std::move(s));
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& r : models.at(0).preds) {
    std::string p = predict_key(r.value);
    if (!seen.insert(p).second) continue;
    if (std::all_of(have.begin(), have.end(), [&](const auto& s) { return s.count(p) > 0; }))
      out.push_back(p);
  }
  return out;
}

namespace {

std::string arena_key(const std::string& first, const std::string& second, const std::string& prompt) {
  return first + '\x1f' + second + '\x1f' + prompt;
}

}  // namespace

PipelineSummary run_arena_judge(net::ChatBackend& backend, const std::vector<ArenaModel>& models,
                                const std::filesystem::path& out, const ArenaJudgeOptions& opts) {
  const std::string& tmpl = opts.template_text.empty() ? default_arena_template() : opts.template_text;
  validate_arena_template(tmpl, "arena template");
  if (models.size() < 2) fail_input("bench arena needs at least two prediction files");
  std::vector<std::string> prompts = shared_prompts(models);
  if (opts.limit >= 0 && static_cast<size_t>(opts.limit) < prompts.size())
    prompts.resize(static_cast<size_t>(opts.limit));
  if (prompts.empty()) fail_input("the prediction files share no prompt");
  // prompt -> response, per model (first occurrence).
  std::vector<std::map<std::string, std::string>> resp(models.size());
  for (size_t m = 0; m < models.size(); ++m)
    for (const auto& r : models[m].preds)
      resp[m].emplace(predict_key(r.value), r.value.at("response").get<std::string>());

  struct Task {
    size_t first, second;
    const std::string* prompt;
  };
  std::set<std::string> done;
  for (const auto& r : read_existing_output(out))
    if (r.has("winner"))
      done.insert(arena_key(r.get_string("first"), r.get_string("second"), r.get_string("prompt")));
  PipelineSummary sum;
  std::vector<Task> todo;
  for (size_t a = 0; a < models.size(); ++a)
    for (size_t b = 0; b < models.size(); ++b) {
      if (a == b) continue;
      for (const auto& p : prompts) {
        ++sum.total;
        if (done.count(arena_key(models[a].name, models[b].name, p)))
          ++sum.already_done;
        else
          todo.push_back({a, b, &p});
      }
    }
  if (sum.already_done > 0)
    log::info("{}: {} of {} comparisons already judged; judging the other {}", out.string(), sum.already_done,
              sum.total, todo.size());
  if (todo.empty()) return sum;

  io::JsonlAppender appender(out);
  std::mutex mu;
  Progress progress("arena", static_cast<int64_t>(todo.size()), "comparisons");
  parallel_for(todo.size(), opts.concurrency, [&](size_t k) {
    const Task& t = todo[k];
    net::ChatRequest req;
    req.messages.push_back({"user", fill_arena_template(tmpl, *t.prompt, resp[t.first].at(*t.prompt),
                                                        resp[t.second].at(*t.prompt))});
    req.temperature = opts.temperature;
    req.max_tokens = opts.max_tokens;
    std::string verdict;
    AskOutcome asked = ask_until_accepted(backend, req, opts.max_attempts, [&](const std::string& answer) {
      std::string err;
      verdict = parse_arena_verdict(answer, &err);
      return verdict.empty() ? err : std::string();
    });
    std::lock_guard lk(mu);
    std::string what =
        fmt::format("{} vs {}: \"{}\"", models[t.first].name, models[t.second].name, t.prompt->substr(0, 40));
    if (!asked.net_error.empty()) {
      sum.add_failure(fmt::format("{}: {}", what, asked.net_error));
    } else {
      io::Json line = {{"prompt", *t.prompt},
                       {"first", models[t.first].name},
                       {"second", models[t.second].name},
                       {"judge_attempts", asked.attempts}};
      if (!asked.rejected.empty()) line["judge_rejected"] = asked.rejected;
      if (asked.ok) {
        line["winner"] = verdict == "A" ? "first" : verdict == "B" ? "second" : "tie";
        line["judge_raw"] = asked.raw;
        ++sum.completed;
        if (asked.attempts > 1) ++sum.retried;
      } else {
        line["judge_error"] =
            fmt::format("no usable verdict in {} attempts; last: {}", asked.attempts, asked.last_error);
        sum.add_failure(fmt::format("{}: {}", what, line["judge_error"].get<std::string>()));
      }
      appender.append(line);
      appender.checkpoint();
    }
    progress.add(1);
  });
  progress.finish();
  return sum;
}

}  // namespace lw::eval
