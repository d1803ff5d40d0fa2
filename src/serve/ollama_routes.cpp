#include "serve/ollama_routes.hpp"

#include <httplib.h>

#include <chrono>

#include <fmt/format.h>

#include "net/errors.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::serve {

using Json = nlohmann::json;

namespace {

void send(httplib::Response& res, int status, const Json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json; charset=utf-8");
}

std::string now_rfc3339() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return rfc3339_nanos(ns.count());
}

int status_of(const std::exception& e) {
  if (dynamic_cast<const net::ContextLengthError*>(&e) || dynamic_cast<const InputError*>(&e)) return 400;
  if (auto* h = dynamic_cast<const net::HttpStatusError*>(&e))
    return h->status() >= 400 && h->status() < 600 ? h->status() : 502;
  return 500;
}

struct ClientGone {};

void serve_completion(const std::shared_ptr<const OllamaRoutes>& r, OllamaKind kind,
                      const httplib::Request& req, httplib::Response& res) {
  auto slot = r->admit();
  if (!slot) {
    res.set_header("Retry-After", "1");
    send(res, 503, ollama_error_json("server busy: too many requests queued or running"));
    return;
  }
  OllamaRequest p;
  try {
    p = kind == OllamaKind::chat ? parse_ollama_chat(req.body, r->limits)
                                 : parse_ollama_generate(req.body, r->limits);
  } catch (const BadRequest& e) {
    send(res, 400, ollama_error_json(e.what()));
    return;
  }
  const std::string created = now_rfc3339();
  const std::string& model = r->model_name;
  if (p.load_only) {
    send(res, 200, ollama_load_json(kind, model, created));
    return;
  }
  if (!p.stream) {
    try {
      net::ChatResponse out = r->backend->complete(p.chat);
      r->served(out);
      send(res, 200, ollama_final_json(kind, model, created, out, /*with_content=*/true));
    } catch (const std::exception& e) {
      log::warn("ollama {}: {}", req.path, e.what());
      send(res, status_of(e), ollama_error_json(e.what()));
    }
    return;
  }
  res.set_chunked_content_provider(
      "application/x-ndjson",
      [r, kind, p = std::move(p), created, path = req.path, slot](size_t, httplib::DataSink& sink) {
        auto write = [&](const Json& j) {
          const std::string s = ndjson_line(j);
          if (!sink.write(s.data(), s.size())) throw ClientGone{};
        };
        try {
          try {
            net::ChatResponse out = r->backend->complete(p.chat, [&](std::string_view d) {
              if (!d.empty()) write(ollama_delta_json(kind, r->model_name, created, d));
            });
            r->served(out);
            write(ollama_final_json(kind, r->model_name, created, out, /*with_content=*/false));
          } catch (const ClientGone&) {
            throw;
          } catch (const std::exception& e) {
            log::warn("ollama {}: {} (stream)", path, e.what());
            write(ollama_error_json(e.what()));
          }
        } catch (const ClientGone&) {
          log::info("ollama {}: client went away; generation cancelled", path);
          return false;
        }
        sink.done();
        return true;
      },
      [slot](bool) {});
}

}  // namespace

void install_ollama_routes(httplib::Server& srv, OllamaRoutes routes) {
  auto r = std::make_shared<const OllamaRoutes>(std::move(routes));
  srv.Post("/api/chat", [r](const httplib::Request& req, httplib::Response& res) {
    serve_completion(r, OllamaKind::chat, req, res);
  });
  srv.Post("/api/generate", [r](const httplib::Request& req, httplib::Response& res) {
    serve_completion(r, OllamaKind::generate, req, res);
  });
  srv.Get("/api/tags", [r](const httplib::Request&, httplib::Response& res) {
    send(res, 200, ollama_tags_json(r->model_name, r->card));
  });
  srv.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    send(res, 200, {{"version", "0.0.0-longwriter"}});
  });
  srv.Post("/api/show", [r](const httplib::Request& req, httplib::Response& res) {
    std::string name;
    try {
      name = parse_ollama_show(req.body);
    } catch (const BadRequest& e) {
      send(res, 400, ollama_error_json(e.what()));
      return;
    }
    if (!ollama_names_model(name, r->model_name)) {
      send(res, 404, ollama_error_json(fmt::format("model '{}' not found", name)));
      return;
    }
    send(res, 200, ollama_show_json(r->model_name, r->card));
  });
}

}  // namespace lw::serve
