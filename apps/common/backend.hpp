#pragma once
// Shared model-backend options for every command that talks to a model (write, agentwrite, bench
// predict/judge, ruler, chat). With --base-url the model is remote (an OpenAI-compatible server)
// and --model names the server's model; without it, --model is a local model path (directory or
// .gguf) run by the in-process engine.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "common/speculative_options.hpp"
#include "net/chat.hpp"

namespace lw::apps {

struct BackendOptions {
  std::string base_url;      // comma-separated list: round-robin with failover
  std::string model;         // server model name, or local model path
  std::string api_key_file;  // else $OPENAI_API_KEY
  int concurrency = 8;       // requests in flight
  double timeout_s = 900;    // whole-request timeout
  double connect_timeout_s = 10;
  int max_retries = 6;
  std::string format;        // chat format for a local model ("" = detect)
  int threads = 0;           // engine threads for a local model (0 = all cores)
  std::string kv_cache = "f16";  // KV cache dtype of a local model
  bool no_prefix_cache = false;  // a local model prefills every prompt in full
  double backoff_base_s = 0.5;  // first retry waits 0.25..0.5 s, doubling per retry ...
  double backoff_cap_s = 30;    // ... up to this ceiling (Retry-After from the server wins)
  SpeculativeOptions spec;       // speculative decoding of a local model (speculative_options.hpp)
};

// Adds --base-url, --model, --api-key-file, --concurrency, --timeout, --connect-timeout, --retries
// (and engine options). `prefix` prefixes every long option name ("judge-" gives
// --judge-base-url, ...).
void add_backend_options(CLI::App* cmd, BackendOptions& o, const std::string& prefix = "");

// Builds the backend the options describe. Throws InputError when neither a base URL nor a local
// model is given, naming the options to use.
std::unique_ptr<net::ChatBackend> make_backend(const BackendOptions& o, const std::string& prefix = "");

// For a backend that runs the model itself, its KV cache: "KV cache: f16, 128.0 KiB per token;
// 2750.0 MiB written (each slot's longest sequence) of 81920.0 MiB reserved (address space,
// committed as written)"; "" otherwise.
std::string kv_cache_summary(const net::ChatBackend& backend);

// For a backend that runs the model itself, how its decode steps were shared: "decode: S steps,
// R sequences per step on average, at most M" (R > 1: sequences shared each read of the weights);
// "" otherwise.
std::string decode_sharing_summary(const net::ChatBackend& backend);

// For a local model with speculative decoding: "speculative: D drafted, A accepted (R rejected),
// acceptance X %, S verify steps"; "" otherwise.
std::string speculative_summary(const net::ChatBackend& backend);

// The base URL list the options select: --base-url, else $OPENAI_BASE_URL, else "".
std::string resolved_base_url(const BackendOptions& o);

// ---------------------------------------------------------------------------------------------
// LOCAL ENGINE BRANCH. make_backend calls this when there is no --base-url / $OPENAI_BASE_URL and
// --model names a local path (a model directory or a .gguf file): the in-process engine
// (serve/local_backend.hpp).
std::unique_ptr<net::ChatBackend> make_local_backend(const BackendOptions& o, const std::string& prefix);
// ---------------------------------------------------------------------------------------------

}  // namespace lw::apps
