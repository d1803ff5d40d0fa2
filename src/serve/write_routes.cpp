#include "serve/write_routes.hpp"

#include <httplib.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::serve {

using Json = nlohmann::json;

namespace {

constexpr size_t kMaxRows = 50;               // as agentwrite's plan limit
constexpr int64_t kMaxWords = 1000000;        // target and per-row budget
constexpr size_t kMaxInstruction = 64 << 10;  // bytes

[[noreturn]] void bad(const std::string& m) {
  throw BadRequest(m);
}

int64_t integer_field(const Json& body, const char* name, int64_t lo, int64_t hi) {
  const Json& v = body.at(name);
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    bad(fmt::format("field \"{}\": expected an integer in {}..{}", name, lo, hi));
  return v.get<int64_t>();
}

double number_field(const Json& body, const char* name, double lo, double hi) {
  const Json& v = body.at(name);
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi)
    bad(fmt::format("field \"{}\": expected a number in [{}, {}]", name, lo, hi));
  return v.get<double>();
}

bool bool_field(const Json& body, const char* name) {
  if (!body.contains(name) || body[name].is_null()) return false;
  if (!body[name].is_boolean()) bad(fmt::format("field \"{}\": expected true or false", name));
  return body[name].get<bool>();
}

void send(httplib::Response& res, int status, const Json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

// Runs an action, answering its failure: 400 bad body, 404 unknown job, 409 wrong state.
template <typename F>
void answer(httplib::Response& res, F&& f) {
  try {
    f();
  } catch (const BadRequest& e) {
    send(res, 400, error_json(e.what(), "invalid_request_error"));
  } catch (const JobNotFound& e) {
    send(res, 404, error_json(e.what(), "invalid_request_error", "job_not_found"));
  } catch (const JobConflict& e) {
    send(res, 409, error_json(e.what(), "invalid_request_error", "job_busy"));
  } catch (const InputError& e) {
    send(res, 400, error_json(e.what(), "invalid_request_error"));
  } catch (const std::exception& e) {
    log::warn("write route: {}", e.what());
    send(res, 500, error_json(e.what(), "server_error"));
  }
}

std::string sse(int64_t seq, const std::string& event, const Json& data) {
  return fmt::format("id: {}\nevent: {}\ndata: {}\n\n", seq, event,
                     data.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace

std::vector<agentwrite::PlanStep> parse_plan_rows(const Json& rows, const std::string& field) {
  if (!rows.is_array() || rows.empty() || rows.size() > kMaxRows)
    bad(fmt::format("field \"{}\": expected an array of 1..{} rows {{\"main_point\", \"words\"}}", field,
                    kMaxRows));
  std::vector<agentwrite::PlanStep> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Json& r = rows[i];
    const std::string where = fmt::format("{}[{}]", field, i);
    if (!r.is_object() || !r.contains("main_point") || !r["main_point"].is_string())
      bad(fmt::format("field \"{}.main_point\": expected a string", where));
    std::string point = r["main_point"].get<std::string>();
    for (char& c : point)
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';  // one plan line per row
    if (point.find_first_not_of(' ') == std::string::npos)
      bad(fmt::format("field \"{}.main_point\": expected a non-empty string", where));
    if (!r.contains("words") || !r["words"].is_number_integer() || r["words"].get<int64_t>() < 1 ||
        r["words"].get<int64_t>() > kMaxWords)
      bad(fmt::format("field \"{}.words\": expected an integer in 1..{}", where, kMaxWords));
    out.push_back({point, r["words"].get<int64_t>(), true});
  }
  return out;
}

JobRequest parse_job_request(const Json& body) {
  JobRequest r;
  if (!body.contains("instruction") || !body["instruction"].is_string())
    bad("field \"instruction\": expected a string");
  r.instruction = body["instruction"].get<std::string>();
  if (r.instruction.find_first_not_of(" \t\r\n") == std::string::npos)
    bad("field \"instruction\": expected a non-empty string");
  if (r.instruction.size() > kMaxInstruction)
    bad(fmt::format("field \"instruction\": longer than {} bytes", kMaxInstruction));
  if (body.contains("target_words") && !body["target_words"].is_null())
    r.target_words = integer_field(body, "target_words", 0, kMaxWords);
  r.plan_only = bool_field(body, "plan_only");
  if (body.contains("plan") && !body["plan"].is_null()) r.plan = parse_plan_rows(body["plan"], "plan");
  if (body.contains("temperature") && !body["temperature"].is_null())
    r.temperature = number_field(body, "temperature", 0, 2);
  if (body.contains("top_p") && !body["top_p"].is_null()) r.top_p = number_field(body, "top_p", 1e-9, 1);
  if (body.contains("seed") && !body["seed"].is_null())
    r.seed = integer_field(body, "seed", 0, int64_t{1} << 53);
  return r;
}

void install_write_routes(httplib::Server& srv, WriteJobs& jobs, const ApiLimits& limits) {
  constexpr const char* kId = "/v1/write/([A-Za-z0-9-]{1,64})";
  srv.Post("/v1/write", [&jobs, limits](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] {
      JobRequest r = parse_job_request(parse_json_body(req.body, limits));
      send(res, 200, jobs.state(jobs.create(r)));
    });
  });
  srv.Get("/v1/write", [&jobs](const httplib::Request&, httplib::Response& res) {
    answer(res, [&] { send(res, 200, jobs.list()); });
  });
  srv.Get(kId, [&jobs](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { send(res, 200, jobs.state(req.matches[1].str())); });
  });
  srv.Post(std::string(kId) + "/cancel", [&jobs](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] {
      jobs.cancel(req.matches[1].str());
      send(res, 200, jobs.state(req.matches[1].str()));
    });
  });
  srv.Post(std::string(kId) + "/start", [&jobs](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] {
      jobs.start(req.matches[1].str());
      send(res, 200, jobs.state(req.matches[1].str()));
    });
  });
  srv.Post(std::string(kId) + "/regenerate", [&jobs, limits](const httplib::Request& req,
                                                             httplib::Response& res) {
    answer(res, [&] {
      Json body = parse_json_body(req.body, limits);
      const char* field = body.contains("paragraph") ? "paragraph" : "step";
      if (!body.contains(field)) bad("field \"paragraph\": expected the paragraph's number (1-based)");
      const int64_t k = integer_field(body, field, 1, static_cast<int64_t>(kMaxRows));
      jobs.regenerate(req.matches[1].str(), static_cast<int>(k - 1), bool_field(body, "rewrite_following"));
      send(res, 200, jobs.state(req.matches[1].str()));
    });
  });
  auto plan = [&jobs, limits](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] {
      Json body = parse_json_body(req.body, limits);
      if (!body.contains("plan"))
        bad("field \"plan\": expected an array of rows {\"main_point\", \"words\"}");
      jobs.set_plan(req.matches[1].str(), parse_plan_rows(body["plan"], "plan"), bool_field(body, "start"));
      send(res, 200, jobs.state(req.matches[1].str()));
    });
  };
  srv.Put(std::string(kId) + "/plan", plan);
  srv.Post(std::string(kId) + "/plan", plan);

  srv.Get(std::string(kId) + "/events", [&jobs](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1].str();
    int64_t after = -1;
    if (req.has_param("after")) {
      try {
        after = std::stoll(req.get_param_value("after"));
      } catch (const std::exception&) {
        send(res, 400, error_json("query \"after\": expected an event number", "invalid_request_error"));
        return;
      }
    }
    int64_t seq = 0;
    Json first;
    try {
      first = jobs.snapshot(id, &seq);
    } catch (const JobNotFound& e) {
      send(res, 404, error_json(e.what(), "invalid_request_error", "job_not_found"));
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream", [&jobs, id, after, seq, first](size_t, httplib::DataSink& sink) mutable {
          auto write = [&](const std::string& s) { return sink.write(s.data(), s.size()); };
          // A client that knows the events up to `after` gets only the newer ones; otherwise the
          // whole state comes first.
          int64_t last = after;
          if (after < 0 || after > seq) {
            if (!write(sse(seq, "state", first))) return false;
            last = seq;
          }
          for (;;) {
            bool active = false;
            std::vector<Json> evs;
            try {
              evs = jobs.events(id, last, 15000, &active);
            } catch (const std::exception&) {
              break;
            }
            for (const auto& e : evs) {
              last = e["seq"].get<int64_t>();
              if (!write(sse(last, e["event"].get<std::string>(), e["data"]))) return false;
            }
            if (evs.empty() && !active) break;
            if (evs.empty() && !write(": keep-alive\n\n")) return false;
          }
          write(sse(last, "end", Json::object()));
          sink.done();
          return true;
        });
  });
}

}  // namespace lw::serve
