// longwriter chat: one chat request to a model, the reply streamed to stdout.
#include <cstdio>
#include <memory>
#include <optional>

#include "common/backend.hpp"
#include "common/registry.hpp"
#include "common/sampling_options.hpp"
#include "io/file.hpp"
#include "net/chat.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

struct Options {
  lw::apps::BackendOptions backend;
  std::string prompt;
  std::string system;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> max_tokens;
  std::optional<int64_t> seed;
  lw::apps::SamplingOptions sampling;
  std::vector<std::string> stop;
  bool no_stream = false;
};

const bool registered = lw::apps::register_command("chat", [](CLI::App& root) {
  auto opts = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "chat",
      "Send one prompt to a model and print the reply to stdout as it streams in. The finish reason\n"
      "and token usage go to stderr (info level); a reply cut off by --max-tokens (finish reason\n"
      "'length') is warned about. Example:\n"
      "  longwriter chat --base-url http://127.0.0.1:8000/v1 --model M \"Write a haiku about roads\"");
  cmd->add_option("prompt", opts->prompt, "The user message; '-' reads it from stdin")->required();
  cmd->add_option("--system", opts->system, "A system message sent before the prompt");
  lw::apps::add_temperature_top_p(cmd, opts->temperature, opts->top_p);
  lw::apps::add_sampling_options(cmd, opts->sampling);
  cmd->add_option("--max-tokens", opts->max_tokens, "Most tokens to generate (default: the server's)");
  cmd->add_option("--seed", opts->seed, "Sampling seed, for servers that support it");
  cmd->add_option("--stop", opts->stop, "A stop string (repeatable)");
  cmd->add_flag("--no-stream", opts->no_stream, "Wait for the whole reply, then print it");
  lw::apps::add_backend_options(cmd, opts->backend);
  lw::apps::set_action(cmd, [opts] {
    lw::net::ChatRequest req;
    if (!opts->system.empty()) req.messages.push_back({"system", opts->system});
    req.messages.push_back({"user", opts->prompt == "-" ? lw::io::read_stdin() : opts->prompt});
    req.temperature = opts->temperature;
    req.top_p = opts->top_p;
    req.max_tokens = opts->max_tokens;
    req.seed = opts->seed;
    req.extras = lw::apps::sampling_extras(opts->sampling);
    req.stop = opts->stop;
    if (req.max_tokens && *req.max_tokens < 1) lw::fail_input("--max-tokens: expected at least 1, got {}", *req.max_tokens);

    auto backend = lw::apps::make_backend(opts->backend);
    lw::net::ChatResponse r;
    char last = '\n';
    if (opts->no_stream) {
      r = backend->complete(req);
      std::fwrite(r.content.data(), 1, r.content.size(), stdout);
      if (!r.content.empty()) last = r.content.back();
    } else {
      r = backend->complete(req, [&](std::string_view d) {
        std::fwrite(d.data(), 1, d.size(), stdout);
        std::fflush(stdout);
        last = d.back();
      });
    }
    if (last != '\n') std::fputc('\n', stdout);
    std::fflush(stdout);
    lw::log::info("finish_reason {}; tokens: {} prompt + {} completion = {}; {:.2f} s",
                  r.finish_reason.empty() ? "(none)" : r.finish_reason, r.usage.prompt_tokens,
                  r.usage.completion_tokens, r.usage.total_tokens, r.seconds);
    if (r.finish_reason == "length")
      lw::log::warn("the reply was cut off at the token limit (finish_reason length); raise --max-tokens");
    return 0;
  });
});

}  // namespace
