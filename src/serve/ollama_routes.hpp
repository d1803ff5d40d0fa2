#pragma once
// Ollama's native routes on the HTTP server (serve/http_server.hpp installs them):
//
//   POST /api/chat       messages -> message.content   (NDJSON stream unless "stream": false)
//   POST /api/generate   prompt (+ system) -> response (NDJSON stream unless "stream": false)
//   GET  /api/tags       the served model
//   POST /api/show       its details (404 for another name)
//   GET  /api/version    {"version"}
//
// Bodies are parsed by serve/ollama_api.hpp; the Host, key and Content-Type checks run before any
// route (serve/request_guard.hpp), as for the OpenAI routes. Errors are {"error": "..."}.
#include <functional>
#include <memory>
#include <string>

#include "net/chat.hpp"
#include "serve/ollama_api.hpp"

namespace httplib {
class Server;
}

namespace lw::serve {

struct OllamaRoutes {
  net::ChatBackend* backend = nullptr;
  std::string model_name;
  ModelCard card;
  ApiLimits limits;
  // A place among the server's pending requests, held while the reply is made; null when the
  // server is full (503).
  std::function<std::shared_ptr<void>()> admit;
  // Called with each finished completion (metrics, counters).
  std::function<void(const net::ChatResponse&)> served;
};

void install_ollama_routes(httplib::Server& server, OllamaRoutes routes);

}  // namespace lw::serve
