#include "support/fake_openai.hpp"

#include <httplib.h>

#include <chrono>

namespace lw::testing {

struct FakeOpenAIServer::Impl {
  httplib::Server server;
};

namespace {

nlohmann::json completion_body(const FakeReply& r, const nlohmann::json& req) {
  int64_t ctoks = static_cast<int64_t>(r.content.size() / 4 + 1);
  return {{"id", "chatcmpl-fake"},
          {"object", "chat.completion"},
          {"model", req.value("model", "fake")},
          {"choices",
           {{{"index", 0},
             {"message", {{"role", "assistant"}, {"content", r.content}}},
             {"finish_reason", r.finish_reason}}}},
          {"usage", {{"prompt_tokens", 10}, {"completion_tokens", ctoks}, {"total_tokens", 10 + ctoks}}}};
}

std::string sse_body(const FakeReply& r, const nlohmann::json& req) {
  std::string out;
  auto event = [&](const nlohmann::json& j) { out += "data: " + j.dump() + "\n\n"; };
  std::string model = req.value("model", "fake");
  event({{"id", "c"}, {"object", "chat.completion.chunk"}, {"model", model},
         {"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}}}, {"finish_reason", nullptr}}}}});
  size_t step = static_cast<size_t>(std::max(1, r.stream_chunk_chars));
  for (size_t i = 0; i < r.content.size(); i += step) {
    // Never split a UTF-8 character between events.
    size_t end = std::min(r.content.size(), i + step);
    while (end < r.content.size() && (static_cast<unsigned char>(r.content[end]) & 0xC0) == 0x80) ++end;
    event({{"id", "c"}, {"object", "chat.completion.chunk"}, {"model", model},
           {"choices", {{{"index", 0}, {"delta", {{"content", r.content.substr(i, end - i)}}}, {"finish_reason", nullptr}}}}});
    i = end - step;
  }
  int64_t ctoks = static_cast<int64_t>(r.content.size() / 4 + 1);
  event({{"id", "c"}, {"object", "chat.completion.chunk"}, {"model", model},
         {"choices", {{{"index", 0}, {"delta", nlohmann::json::object()}, {"finish_reason", r.finish_reason}}}},
         {"usage", {{"prompt_tokens", 10}, {"completion_tokens", ctoks}, {"total_tokens", 10 + ctoks}}}});
  out += "data: [DONE]\n\n";
  return out;
}

}  // namespace

FakeOpenAIServer::FakeOpenAIServer(Handler handler) : impl_(std::make_unique<Impl>()), handler_(std::move(handler)) {
  auto& srv = impl_->server;
  srv.new_task_queue = [] { return new httplib::ThreadPool(64); };
  srv.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    FakeRequest fr;
    fr.index = count_.fetch_add(1);
    fr.authorization = req.get_header_value("Authorization");
    try {
      fr.body = nlohmann::json::parse(req.body);
    } catch (...) {
      res.status = 400;
      res.set_content(R"({"error":{"message":"invalid JSON body"}})", "application/json");
      return;
    }
    {
      std::lock_guard lk(mu_);
      log_.push_back(fr);
    }
    FakeReply r = handler_(fr);
    if (r.hang) {
      while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      res.status = 503;
      return;
    }
    if (r.delay_s > 0) {
      auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(r.delay_s);
      while (!stopping_ && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (auto& [k, v] : r.headers) res.set_header(k, v);
    res.status = r.status;
    if (!r.raw_body.empty()) {
      res.set_content(r.raw_body, "application/json");
    } else if (r.status != 200) {
      res.set_content(nlohmann::json{{"error", {{"message", r.error_message}, {"type", "fake_error"}}}}.dump(),
                      "application/json");
    } else if (fr.body.value("stream", false)) {
      res.set_content(sse_body(r, fr.body), "text/event-stream");
    } else {
      res.set_content(completion_body(r, fr.body).dump(), "application/json");
    }
  });
  srv.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"object":"list","data":[{"id":"fake","object":"model"}]})", "application/json");
  });
  port_ = srv.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
  while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeOpenAIServer::~FakeOpenAIServer() { stop(); }

void FakeOpenAIServer::stop() {
  if (stopping_.exchange(true)) return;
  impl_->server.stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeOpenAIServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

std::vector<FakeRequest> FakeOpenAIServer::requests() const {
  std::lock_guard lk(mu_);
  return log_;
}

std::string last_user_message(const nlohmann::json& body) {
  std::string last;
  if (body.contains("messages") && body["messages"].is_array())
    for (const auto& m : body["messages"])
      if (m.value("role", "") == "user") last = m.value("content", "");
  return last;
}

}  // namespace lw::testing
