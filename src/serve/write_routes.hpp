#pragma once
// The AgentWrite job API on the HTTP server (serve/http_server.hpp installs it when `serve` has a
// jobs directory; serve/write_jobs.hpp runs the jobs):
//
//   POST /v1/write                     {"instruction", "target_words"?, "plan_only"?, "plan"?:
//   [{"main_point",
//                                      "words"}], "temperature"?, "top_p"?, "seed"?} -> the job's state
//   GET  /v1/write                     the newest jobs {"object":"list","data":[...]}
//   GET  /v1/write/{id}                the job's state (plan, paragraphs with text and words, text, progress)
//   GET  /v1/write/{id}/events         Server-Sent Events: "state" first, then "plan", "delta", "paragraph",
//                                      "progress", "status"; "end" when the job stops (?after=SEQ resumes)
//   POST /v1/write/{id}/cancel         stop writing (finished paragraphs are kept)
//   POST /v1/write/{id}/start          write a planned job, or resume a cancelled or failed one
//   POST /v1/write/{id}/regenerate     {"paragraph": k (1-based), "rewrite_following"?: bool}
//   PUT|POST /v1/write/{id}/plan       {"plan": [{"main_point", "words"}], "start"?: bool}
//
// Errors are OpenAI-style {"error": {...}}: 400 bad body, 404 unknown job, 409 the job's state
// forbids the action (regenerating a job that is writing). The Host, key and Content-Type checks
// run before any route (serve/request_guard.hpp), as for the other routes.
#include <string>

#include <nlohmann/json.hpp>

#include "serve/openai_api.hpp"
#include "serve/write_jobs.hpp"

namespace httplib {
class Server;
}

namespace lw::serve {

// Parses POST /v1/write's body; BadRequest naming the field.
JobRequest parse_job_request(const nlohmann::json& body);
// Parses plan rows [{"main_point": "...", "words": N}]; BadRequest naming the field.
std::vector<agentwrite::PlanStep> parse_plan_rows(const nlohmann::json& rows, const std::string& field);

void install_write_routes(httplib::Server& server, WriteJobs& jobs, const ApiLimits& limits);

}  // namespace lw::serve
