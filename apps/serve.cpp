// longwriter serve --model PATH: an OpenAI-compatible HTTP server over the in-process engine.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agentwrite_options.hpp"
#include "common/backend.hpp"
#include "common/engine_options.hpp"
#include "common/registry.hpp"
#include "common/sampling_options.hpp"
#include "common/speculative_options.hpp"
#include "serve/http_server.hpp"
#include "serve/local_backend.hpp"
#include "serve/model_card.hpp"
#include "serve/write_jobs.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

struct Options {
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string name;
  lw::serve::LocalOptions local;
  lw::apps::SamplingOptions sampling;
  std::string dtype = "keep";
  std::string kv_cache = "f16";
  bool no_prefix_cache = false;
  lw::apps::SpeculativeOptions spec;
  int queue = 64;
  double max_body_mb = 8;
  double header_timeout = 10, request_timeout = 30;
  size_t max_reading = 256;
  std::vector<std::string> allowed_hosts, cors_origins;
  std::string api_key_file;
  bool metrics_public = false;
  std::string jobs_dir;
  bool no_ui = false;
  lw::apps::BackendOptions upstream;      // --upstream-url / --upstream-model: AgentWrite's backend
  lw::apps::AgentWriteOptions templates;  // only --plan-template/--write-template: the jobs' prompts
};

// The writing desk: the page at / and the /v1/write jobs, and the model they use.
void add_desk_options(CLI::App* cmd, Options& o) {
  cmd->add_option("--jobs-dir", o.jobs_dir,
                  "Folder of the /v1/write jobs (one folder per job: job.json and its SQLite checkpoint);\n"
                  "unfinished jobs resume when serve starts. Default: $XDG_STATE_HOME/longwriter/write-jobs\n"
                  "(~/.local/state/longwriter/write-jobs)");
  cmd->add_flag("--no-ui", o.no_ui, "Do not serve the writing desk page at / (the API stays)");
  cmd->add_option("--upstream-url", o.upstream.base_url,
                  "OpenAI-compatible server (http://HOST:PORT/v1) that /v1/write jobs use instead of the\n"
                  "local model; without --model, the chat routes forward to it too");
  cmd->add_option("--upstream-model", o.upstream.model, "Model name on --upstream-url");
  cmd->add_option("--upstream-api-key-file", o.upstream.api_key_file,
                  "File holding the key for --upstream-url (default: $OPENAI_API_KEY)")
      ->check(CLI::ExistingFile);
  lw::apps::add_template_options(cmd, o.templates);
}

// The access flags: who may connect, with which key, from which web origins (serve/request_guard.hpp).
void add_access_options(CLI::App* cmd, Options& o) {
  cmd->add_option(
         "--allowed-host", o.allowed_hosts,
         "A name clients may use in the Host header, besides localhost, 127.0.0.1, [::1] and the bound\n"
         "address (with or without a port); repeatable. Other names get 403, which stops DNS rebinding\n"
         "(a web page reaching this server under its own name). With a non-loopback --host any IP\n"
         "address is accepted too, names only through this flag. '*' turns the check off.")
      ->allow_extra_args(false);
  cmd->add_option(
         "--api-key-file", o.api_key_file,
         "File of API keys, one per line ('#' comments and blank lines ignored); $LONGWRITER_API_KEY adds\n"
         "one more. With a key every request needs 'Authorization: Bearer KEY' (else 401), except\n"
         "/health and, with --metrics-public, /metrics. Keys are never printed or logged.")
      ->check(CLI::ExistingFile);
  cmd->add_option(
         "--cors-origin", o.cors_origins,
         "A web origin (https://app.example.com, http://localhost:3000) whose pages may call the API\n"
         "from a browser: preflights are answered and replies carry Access-Control-Allow-Origin;\n"
         "repeatable, '*' allows every origin. Default: no CORS headers at all.")
      ->allow_extra_args(false);
  cmd->add_flag(
      "--metrics-public", o.metrics_public,
      "Serve GET /metrics (Prometheus text) without the API key (for a scraper on a trusted network)");
}

const bool registered = lw::apps::register_command("serve", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "serve",
      "Serve a local model (HF directory or .gguf) over an OpenAI-compatible HTTP API:\n"
      "  POST /v1/chat/completions (\"stream\": true for Server-Sent Events), GET /v1/models, GET /health\n"
      "  (and Ollama's API: POST /api/chat, /api/generate (NDJSON streams), /api/show, GET /api/tags)\n"
      "  (with the prefix cache's reuse counts). A request reuses the cached keys and values of the longest\n"
      "  prompt prefix a finished request left in a slot (usage.prompt_tokens_details.cached_tokens).\n"
      "Concurrent requests are decoded together (continuous batching, --parallel sequences per step);\n"
      "so are a request's n choices, the prompt prefilled once (n <= 4 x --parallel; choice i: seed + i);\n"
      "up to --queue more wait their turn, and beyond that the server answers 503 with Retry-After.\n"
      "Listens on 127.0.0.1 unless --host says otherwise. Stop it with Ctrl-C.\n"
      "Access: requests must name this server in Host (--allowed-host for other names; 403 otherwise),\n"
      "POST bodies must be application/json (415), --api-key-file requires a Bearer key (401), and\n"
      "--cors-origin lets web pages of the given origins call the API. GET /metrics: Prometheus text.\n"
      "The writing desk (docs/serve.md): a page at / to plan, write, stop, regenerate and export long "
      "texts,\n"
      "  over AgentWrite jobs at /v1/write that survive a restart (--jobs-dir; --no-ui: no page).\n"
      "Example: longwriter serve --model models/tiny --port 8080 &\n"
      "         longwriter chat --base-url http://127.0.0.1:8080/v1 --model tiny \"Hello\"");
  cmd->add_option("--model", o->model,
                  "Local model: an HF directory (config.json + safetensors) or a .gguf file (required\n"
                  "unless --upstream-url is given)");
  cmd->add_option("--host", o->host, "Address to listen on (0.0.0.0 exposes the server to the network)")
      ->capture_default_str();
  cmd->add_option("--port", o->port, "TCP port (0: any free port, printed at start)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--name", o->name,
                  "Model name reported by /v1/models and in replies (default: the directory or file name)");
  cmd->add_option("--format", o->local.format,
                  "Chat format: llama3-longwriter, llama3, glm4, chatml (default: detected from the model)");
  cmd->add_option("--tokenizer", o->local.tokenizer,
                  "Tokenizer file or directory (default: the model's own tokenizer)");
  cmd->add_option("--threads", o->local.threads, "Engine threads (0: all cores)")->capture_default_str();
  cmd->add_option("--parallel", o->local.parallel, "Sequences decoded together in one batch (KV cache slots)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--max-context", o->local.max_context,
                  "Tokens per sequence, prompt + reply (0: the model's context, at most 32768)")
      ->capture_default_str();
  cmd->add_option("--prefill-chunk", o->local.prefill_chunk,
                  "Prompt tokens processed per step, so long prompts do not stall other replies")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  lw::apps::add_kv_cache_option(cmd, o->kv_cache);
  lw::apps::add_prefix_cache_flag(cmd, o->no_prefix_cache);
  lw::apps::add_speculative_options(cmd, o->spec);
  cmd->add_option("--dtype", o->dtype, "Weights in memory: keep (as stored), f32, bf16")
      ->capture_default_str()
      ->check(CLI::IsMember({"keep", "f32", "bf16"}));
  cmd->add_option("--temperature", o->local.default_temperature,
                  "Temperature for requests that set none (OpenAI's default is 1)")
      ->capture_default_str();
  cmd->add_option("--top-p", o->local.default_top_p, "top_p for requests that set none")
      ->capture_default_str();
  // The rest of the sampler chain: defaults for requests that leave the field out.
  lw::apps::add_sampling_options(cmd, o->sampling);
  cmd->add_option("--queue", o->queue, "Requests that may wait beyond --parallel before 503 is answered")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-body-mb", o->max_body_mb, "Largest request body accepted (413 beyond)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  cmd->add_option("--header-timeout", o->header_timeout,
                  "Seconds a client has to send a request's head (408 and closed beyond)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--request-timeout", o->request_timeout,
                  "Seconds a client has to send a whole request, head and body (408 beyond)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-reading", o->max_reading,
                  "Connections that may be sending a request at once; a new one sheds the oldest")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_access_options(cmd, *o);
  add_desk_options(cmd, *o);

  lw::apps::set_action(cmd, [o] {
    lw::serve::AccessPolicy access;
    access.keys = lw::serve::ApiKeys::load(o->api_key_file);
    access.cors = lw::serve::CorsPolicy(o->cors_origins);
    access.metrics_public = o->metrics_public;
    for (const auto& h : o->allowed_hosts)
      if (h != "*" && lw::serve::host_name_of(h).empty())
        lw::fail_input("--allowed-host {}: expected a host name or address (optionally with :port), or '*'",
                       h);
    access.hosts.allowed = o->allowed_hosts;
    for (const auto& w : lw::serve::exposure_warnings(o->host, access)) lw::log::warn("{}", w);
    if (o->model.empty() && o->upstream.base_url.empty())
      lw::fail_input(
          "serve: give --model PATH (a local model) or --upstream-url URL (an OpenAI-compatible server)");
    o->local.load.convert = o->dtype == "f32"    ? lw::engine::LoadOptions::Convert::f32
                            : o->dtype == "bf16" ? lw::engine::LoadOptions::Convert::bf16
                                                 : lw::engine::LoadOptions::Convert::keep;
    o->local.kv_dtype = lw::engine::parse_kv_dtype(o->kv_cache);
    o->local.prefix_cache = !o->no_prefix_cache;
    o->local.draft = lw::apps::draft_options(o->spec);
    o->local.draft_model = o->spec.draft_model;
    o->local.default_extras = lw::apps::sampling_extras(o->sampling);
    std::unique_ptr<lw::serve::LocalBackend> local;
    std::unique_ptr<lw::net::ChatBackend> upstream;
    if (!o->model.empty()) local = lw::serve::open_local_backend(o->model, o->local);
    if (!o->upstream.base_url.empty()) {
      o->upstream.concurrency = 4;
      upstream = lw::apps::make_backend(o->upstream, "upstream-");
    }
    lw::net::ChatBackend& chat_backend = local ? *local : *upstream;
    lw::net::ChatBackend& write_backend = upstream ? *upstream : *local;
    lw::serve::ServerOptions so;
    so.host = o->host;
    so.port = o->port;
    so.model_name = !o->name.empty()            ? o->name
                    : local                     ? local->name()
                    : o->upstream.model.empty() ? std::string("upstream")
                                                : o->upstream.model;
    so.max_pending = o->local.parallel + o->queue;
    so.max_body_bytes = static_cast<size_t>(o->max_body_mb * 1024 * 1024);
    so.header_timeout_ms = static_cast<int>(o->header_timeout * 1000);
    so.read_timeout_s = std::max(1, static_cast<int>(o->request_timeout));
    so.max_reading = o->max_reading;
    so.access = std::move(access);
    if (local) so.card = lw::serve::model_card(*local, o->model);
    lw::serve::WriteJobsOptions wo;
    wo.dir = o->jobs_dir.empty() ? lw::serve::default_jobs_dir() : std::filesystem::path(o->jobs_dir);
    wo.model = upstream ? o->upstream.model : std::string();
    wo.config.temperature = o->local.default_temperature;
    wo.config.top_p = o->local.default_top_p;
    lw::apps::load_templates(o->templates);
    wo.config.plan_template = o->templates.plan_template;
    wo.config.write_template = o->templates.write_template;
    lw::serve::WriteJobs jobs(write_backend, wo);
    so.write_jobs = &jobs;
    so.ui = !o->no_ui;
    lw::serve::HttpServer server(chat_backend, so);
    int port = server.bind();
    std::printf("serving %s on http://%s:%d/v1 (OpenAI-compatible; %d parallel, queue %d%s)\n",
                so.model_name.c_str(), o->host.c_str(), port, o->local.parallel, o->queue,
                so.access.keys.enabled() ? "; API key required" : "");
    if (so.ui) std::printf("writing desk: http://%s:%d/\n", o->host.c_str(), port);
    std::fflush(stdout);
    server.run();
    return 0;
  });
});

}  // namespace
