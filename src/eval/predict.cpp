#include "eval/predict.hpp"

#include <atomic>
#include <mutex>

#include "eval/pool.hpp"
#include "eval/resume.hpp"
#include "net/errors.hpp"
#include "text/words.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace lw::eval {

std::vector<io::Record> load_prompts(const std::filesystem::path& path) {
  std::vector<io::Record> recs = io::read_jsonl(path);
  for (const auto& r : recs) {
    r.get_string("prompt");
    if (r.has("length") && r.get_int("length") <= 0)
      fail_input("{}: field \"length\": expected a positive integer, got {}", r.where(), r.value.at("length").dump());
  }
  if (recs.empty()) fail_input("{}: no prompts in the file", path.string());
  return recs;
}

namespace {

std::string short_prompt(const std::string& p) {
  std::string s = p.substr(0, 60);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  if (s.size() < p.size()) {
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();  // cut on a code point
    if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
    s += "...";
  }
  return s;
}

}  // namespace

PipelineSummary run_predict(net::ChatBackend& backend, const std::vector<io::Record>& prompts,
                            const std::filesystem::path& out, const PredictOptions& opts) {
  LW_CHECK(opts.samples >= 1, "samples must be at least 1");
  PipelineSummary sum;
  size_t n = prompts.size();
  if (opts.limit >= 0 && static_cast<size_t>(opts.limit) < n) n = static_cast<size_t>(opts.limit);
  const int64_t samples = opts.samples;
  sum.total = static_cast<int64_t>(n) * samples;

  // A (prompt, sample) pair is done when a line with that prompt and "sample" (0 when absent) exists.
  auto key = [](const io::Json& v, int64_t k) { return predict_key(v) + '\x1f' + std::to_string(k); };
  DoneSet done;
  for (const auto& r : read_existing_output(out)) {
    if (r.has("response")) done.add(key(r.value, r.get_int_or("sample", 0)));
  }
  std::vector<std::pair<size_t, int64_t>> todo;  // (prompt index, sample)
  for (size_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < samples; ++k) {
      if (done.take(key(prompts[i].value, k)))
        ++sum.already_done;
      else
        todo.emplace_back(i, k);
    }
  if (sum.already_done > 0)
    log::info("{}: {} of {} responses already done; running the other {}", out.string(), sum.already_done,
              sum.total, todo.size());
  if (todo.empty()) return sum;

  io::JsonlAppender appender(out);
  std::mutex mu;  // guards appender and sum
  Progress progress("predict", static_cast<int64_t>(todo.size()), "prompts");
  std::atomic<int64_t> words{0}, streamed_bytes{0}, in_flight{0};
  auto detail = [&] {
    return fmt::format("{} in flight, {} words written, {:.0f} kB streaming", in_flight.load(), words.load(),
                       static_cast<double>(streamed_bytes.load()) / 1000.0);
  };

  parallel_for(todo.size(), opts.concurrency, [&](size_t k) {
    const size_t index = todo[k].first;
    const int64_t sample = todo[k].second;
    const io::Record& rec = prompts[index];
    net::ChatRequest req;
    if (!opts.system.empty()) req.messages.push_back({"system", opts.system});
    req.messages.push_back({"user", rec.value.at("prompt").get<std::string>()});
    req.temperature = opts.temperature;
    req.top_p = opts.top_p;
    req.extras = opts.extras;
    req.max_tokens = opts.max_tokens;
    // A seed per (prompt, sample) keeps sampled runs reproducible: base + index * samples + sample.
    if (opts.seed) req.seed = *opts.seed + static_cast<int64_t>(index) * samples + sample;
    ++in_flight;
    int64_t my_bytes = 0;
    net::DeltaCallback on_delta;
    if (opts.stream) {
      on_delta = [&](std::string_view d) {
        my_bytes += static_cast<int64_t>(d.size());
        streamed_bytes += static_cast<int64_t>(d.size());
        progress.set_detail(detail());
      };
    }
    net::ChatResponse resp;
    bool ok = false;
    std::string err;
    try {
      resp = backend.complete(req, on_delta);
      ok = true;
    } catch (const net::ContextLengthError& e) {
      err = std::string(e.what()) + " (lower --max-tokens)";
    } catch (const std::exception& e) {
      err = e.what();
    }
    streamed_bytes -= my_bytes;
    --in_flight;
    if (!ok) {
      std::string line = fmt::format("{} \"{}\"{}: {}", rec.where(), short_prompt(predict_key(rec.value)),
                                     samples > 1 ? fmt::format(" (sample {})", sample) : "", err);
      log::warn("predict failed: {}", line);
      std::lock_guard lk(mu);
      sum.add_failure(line);
      progress.add(1);
      return;
    }
    io::Json outv = rec.value;
    int64_t len = text::count_words(resp.content);
    outv["response"] = resp.content;
    outv["response_length"] = len;
    outv["finish_reason"] = resp.finish_reason;
    if (samples > 1) outv["sample"] = sample;
    words += len;
    {
      std::lock_guard lk(mu);
      appender.append(outv);
      appender.checkpoint();
      ++sum.completed;
      if (resp.finish_reason == "length") ++sum.truncated;
    }
    progress.set_detail(detail());
    progress.add(1);
  });
  progress.finish();
  return sum;
}

}  // namespace lw::eval
