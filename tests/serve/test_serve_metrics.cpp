// GET /metrics (issue 27): the text is read back by a small parser of Prometheus' text exposition
// format (# HELP / # TYPE lines, samples with labels), every sample must belong to a family with
// both lines, and after a batch of requests the counts must match what was sent.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "serve/http_server.hpp"
#include "serve/metrics.hpp"
#include "serve/scheduler.hpp"
#include "tiny_model.hpp"

namespace {

using Json = nlohmann::json;

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> help, type;
  std::vector<Sample> samples;
  std::vector<std::string> errors;  // what the parser refused

  // The value of the sample `name` whose labels include `labels`; nullopt when there is none.
  std::optional<double> value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        match = match && it != s.labels.end() && it->second == v;
      }
      if (match) return s.value;
    }
    return std::nullopt;
  }
};

bool is_name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Parses the text format: "# HELP name text", "# TYPE name counter|gauge|...", and samples
// "name{label="value",...} number" (label values with \\, \" and \n escapes).
Exposition parse_exposition(const std::string& text) {
  Exposition e;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      e.errors.push_back("the last line has no newline");
      end = text.size();
    }
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    auto err = [&](const std::string& what) {
      e.errors.push_back(std::to_string(line_no) + ": " + what + ": " + line);
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream ss(line.substr(1));
      std::string kind, name, rest;
      ss >> kind >> name;
      std::getline(ss, rest);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      if (kind == "HELP") {
        if (e.help.count(name)) err("second HELP");
        e.help[name] = rest;
      } else if (kind == "TYPE") {
        if (e.type.count(name)) err("second TYPE");
        if (rest != "counter" && rest != "gauge" && rest != "histogram" && rest != "summary" &&
            rest != "untyped")
          err("unknown type");
        e.type[name] = rest;
      }
      continue;
    }
    Sample s;
    size_t i = 0;
    while (i < line.size() && is_name_char(line[i], i == 0)) s.name += line[i++];
    if (s.name.empty()) {
      err("no metric name");
      continue;
    }
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::string key, value;
        while (i < line.size() && is_name_char(line[i], key.empty())) key += line[i++];
        if (key.empty() || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
          err("bad label");
          break;
        }
        i += 2;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size()) {
            const char c = line[i + 1];
            value += c == 'n' ? '\n' : c;
            i += 2;
          } else {
            value += line[i++];
          }
        }
        ++i;  // closing quote
        s.labels[key] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) {
        err("unclosed labels");
        continue;
      }
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') {
      err("no value");
      continue;
    }
    try {
      size_t used = 0;
      s.value = std::stod(line.substr(i + 1), &used);
      if (i + 1 + used != line.size()) err("trailing text after the value");
    } catch (const std::exception&) {
      err("value is not a number");
    }
    if (!e.type.count(s.name) || !e.help.count(s.name)) err("sample before its HELP and TYPE lines");
    e.samples.push_back(std::move(s));
  }
  return e;
}

TEST(Metrics, ParserReadsLabelsAndRefusesMalformedLines) {
  auto e = parse_exposition(
      "# HELP a:b_total Things.\n# TYPE a:b_total counter\na:b_total{x=\"1\",y=\"q\\\"\\\\\"} 3\n");
  EXPECT_TRUE(e.errors.empty()) << e.errors.front();
  ASSERT_EQ(e.samples.size(), 1u);
  EXPECT_EQ(e.samples[0].labels.at("y"), "q\"\\");
  EXPECT_EQ(e.value("a:b_total", {{"x", "1"}}), 3.0);
  EXPECT_FALSE(parse_exposition("orphan 1\n").errors.empty());
  EXPECT_FALSE(parse_exposition("# HELP m x\n# TYPE m gauge\nm{x=\"1\" 2\n").errors.empty());
  EXPECT_FALSE(parse_exposition("# HELP m x\n# TYPE m gauge\nm one\n").errors.empty());
}

// The engine gauges are rendered from what the backend reports.
TEST(Metrics, RendersEngineGaugesAndEscapesLabels) {
  lw::serve::ServerMetrics m;
  m.count_request("/v1/chat/completions", 200);
  m.count_request("/v1/chat/completions", 200);
  m.count_request("/no/such/path\"", 404);
  const auto e = parse_exposition(m.render(lw::net::EngineLoad{2, 3, 100, 400}, std::nullopt));
  ASSERT_TRUE(e.errors.empty()) << e.errors.front();
  EXPECT_EQ(e.value("longwriter:requests_total", {{"endpoint", "/v1/chat/completions"}, {"status", "200"}}),
            2.0);
  EXPECT_EQ(e.value("longwriter:requests_total", {{"endpoint", "other"}, {"status", "404"}}), 1.0);
  EXPECT_EQ(e.value("longwriter:num_requests_running"), 2.0);
  EXPECT_EQ(e.value("longwriter:num_requests_waiting"), 3.0);
  EXPECT_EQ(e.value("longwriter:kv_cache_tokens"), 100.0);
  EXPECT_EQ(e.value("longwriter:kv_cache_capacity_tokens"), 400.0);
  EXPECT_EQ(e.value("longwriter:kv_cache_usage_ratio"), 0.25);
  EXPECT_FALSE(e.value("longwriter:prefix_cache_hits_total"));  // no cache stats given
  EXPECT_EQ(lw::serve::prometheus_label_escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

// The scheduler's gauges while one sequence holds the only slot and another waits for it, and after.
TEST(Metrics, SchedulerGaugesShowRunningAndWaitingSequences) {
  const auto model = lw::engine::make_random_model(lw::testing::tiny_serve_config(), /*seed=*/7,
                                                   lw::engine::DType::f32, 0.5f);
  const auto tok = lw::tok::load_tokenizer(lw::testing::spm_vocab());
  lw::serve::SchedulerOptions o;
  o.n_slots = 1;
  o.threads = 1;
  lw::serve::Scheduler s(*model, *tok, o);
  EXPECT_EQ(s.stats().kv_cells_total, 512);
  bool seen = false;
  // A long sequence (to the context limit) is cancelled once it streams. The tiny model decodes it in
  // tens of milliseconds, so a loaded machine that stalls the test thread that long lets it end
  // first: try again until the gauges are caught mid-run, up to a deadline.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int attempt = 0; attempt < 1000 && !seen && std::chrono::steady_clock::now() < give_up; ++attempt) {
    lw::serve::SeqParams a;
    a.prompt = {1, 100, 200, 300, 400};
    a.max_new_tokens = -1;
    lw::serve::SeqParams b = a;
    b.max_new_tokens = 3;
    auto out_a = s.submit(a);
    auto out_b = s.submit(b);
    std::string piece;
    out_a->next(piece);  // A is in the slot now, B queued behind it
    const auto st = s.stats();
    seen = st.running == 1 && st.waiting == 1 && st.kv_cells_used >= 5;
    out_a->cancel();
    while (out_a->next(piece)) {
    }
    while (out_b->next(piece)) {
    }
  }
  EXPECT_TRUE(seen);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (s.stats().running != 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto st = s.stats();
  EXPECT_EQ(st.running, 0);
  EXPECT_EQ(st.waiting, 0);
  EXPECT_GT(st.kv_cells_used, 0);  // B's tokens stay for reuse
  EXPECT_LE(st.kv_cells_used, 512);
}

// N requests (streamed and not) on the tiny model: the counters equal the sums of the replies' usage.
TEST(Metrics, CountsMatchABatchOfRequests) {
  auto backend = lw::serve::open_local_backend(lw::testing::tiny_model_dir(), lw::testing::tiny_options(2));
  lw::serve::ServerOptions o;
  o.port = 0;
  o.model_name = "tiny";
  lw::serve::HttpServer server(*backend, o);
  server.start();
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(60, 0);

  std::string story;  // long enough (> 32 tokens) for a prefix hit to win over an empty slot
  for (int i = 0; i < 4; ++i)
    story += "The keeper of the lighthouse counted the waves every night and wrote the count down. ";
  int64_t prompt = 0, completion = 0, cached = 0;
  constexpr int kPlain = 5, kStreamed = 2;
  for (int i = 0; i < kPlain + kStreamed; ++i) {
    const bool stream = i >= kPlain;
    Json req = {
        {"messages", {{{"role", "user"}, {"content", story + std::string(static_cast<size_t>(i), '!')}}}},
        {"max_tokens", 2 + i},
        {"temperature", 0},
        {"stream", stream}};
    if (stream) req["stream_options"] = {{"include_usage", true}};
    auto res = cli.Post("/v1/chat/completions", req.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    Json usage;
    if (!stream) {
      usage = Json::parse(res->body)["usage"];
    } else {
      const size_t at = res->body.find("\"usage\"");
      ASSERT_NE(at, std::string::npos) << res->body;
      const size_t begin = res->body.rfind("data: ", at) + 6;
      usage = Json::parse(res->body.substr(begin, res->body.find("\n\n", begin) - begin))["usage"];
    }
    prompt += usage["prompt_tokens"].get<int64_t>();
    completion += usage["completion_tokens"].get<int64_t>();
    cached += usage["prompt_tokens_details"]["cached_tokens"].get<int64_t>();
  }
  EXPECT_GT(completion, 0);
  EXPECT_EQ(cli.Post("/v1/chat/completions", "{not json", "application/json")->status, 400);
  EXPECT_EQ(cli.Post("/v1/chat/completions", "{}", "text/plain")->status, 415);
  EXPECT_EQ(cli.Get("/health")->status, 200);
  EXPECT_EQ(cli.Get("/nowhere")->status, 404);

  auto res = cli.Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  const Exposition e = parse_exposition(res->body);
  ASSERT_TRUE(e.errors.empty()) << e.errors.front() << "\n" << res->body;
  for (const auto& [name, type] : e.type) {
    EXPECT_EQ(name.rfind("longwriter:", 0), 0u) << name;
    EXPECT_TRUE(e.help.count(name)) << name;
    if (type == "counter") {
      EXPECT_TRUE(name.size() > 6 && name.substr(name.size() - 6) == "_total") << name;
    }
  }
  auto requests = [&](const char* endpoint, const char* status) {
    return e.value("longwriter:requests_total", {{"endpoint", endpoint}, {"status", status}}).value_or(-1);
  };
  EXPECT_EQ(requests("/v1/chat/completions", "200"), kPlain + kStreamed);
  EXPECT_EQ(requests("/v1/chat/completions", "400"), 1);
  EXPECT_EQ(requests("/v1/chat/completions", "415"), 1);
  EXPECT_EQ(requests("/health", "200"), 1);
  EXPECT_EQ(requests("other", "404"), 1);
  EXPECT_EQ(e.value("longwriter:prompt_tokens_total"), static_cast<double>(prompt));
  EXPECT_EQ(e.value("longwriter:generation_tokens_total"), static_cast<double>(completion));
  EXPECT_EQ(e.value("longwriter:prefix_cache_queries_total"), static_cast<double>(prompt));
  EXPECT_EQ(e.value("longwriter:prefix_cache_hits_total"), static_cast<double>(cached));
  EXPECT_GT(cached, 0);  // each prompt extends the previous one by a character
  EXPECT_GT(e.value("longwriter:prompt_seconds_total").value_or(0), 0.0);
  EXPECT_GE(e.value("longwriter:tokens_predicted_seconds_total").value_or(-1), 0.0);
  EXPECT_EQ(e.value("longwriter:num_requests_running"), 0.0);
  EXPECT_EQ(e.value("longwriter:num_requests_waiting"), 0.0);
  const double cap = e.value("longwriter:kv_cache_capacity_tokens").value_or(0);
  EXPECT_EQ(cap, 2.0 * 512);  // 2 slots x the tiny model's context
  const double used = e.value("longwriter:kv_cache_tokens").value_or(-1);
  EXPECT_GT(used, 0.0);  // the kept prefixes
  EXPECT_LE(used, cap);
  EXPECT_NEAR(e.value("longwriter:kv_cache_usage_ratio").value_or(-1), used / cap, 1e-9);

  // The scrape itself is counted by the next one.
  const Exposition again = parse_exposition(cli.Get("/metrics")->body);
  EXPECT_EQ(again.value("longwriter:requests_total", {{"endpoint", "/metrics"}, {"status", "200"}}), 1.0);
  server.stop();
}

}  // namespace
