#pragma once
// The sampling options of every command that samples (generate, serve, write, agentwrite, chat,
// bench predict, ruler): one declaration of the flags of the sampler chain (engine/sampler.hpp).
// With a local model they reach the engine; with --base-url they are sent in the request body
// under vLLM's / llama-server's / OpenAI's names (net/openai_json.hpp).
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "net/chat.hpp"
#include "util/error.hpp"

namespace lw::apps {

struct SamplingOptions {
  net::SamplingExtras x;
  std::vector<std::string> logit_bias;    // "ID=BIAS"
  std::vector<std::string> dry_breakers;  // replace the defaults when given
};

// Adds --temperature and --top-p to optionals, for commands whose default is the server's.
inline void add_temperature_top_p(CLI::App* cmd, std::optional<double>& temperature,
                                  std::optional<double>& top_p) {
  cmd->add_option("--temperature", temperature, "Sampling temperature, 0 = greedy (default: the server's)")
      ->check(CLI::Range(0.0, 2.0));
  cmd->add_option("--top-p", top_p,
                  "Nucleus sampling: smallest set with this probability mass (default: the server's)")
      ->check(CLI::Range(0.0, 1.0));
}

// Adds the chain's other options (all off unless given): penalties, DRY, min-p, top-k, logit bias.
inline void add_sampling_options(CLI::App* cmd, SamplingOptions& o) {
  auto& x = o.x;
  cmd->add_option("--top-k", x.top_k, "Sample from the k most likely tokens (0 = off)")
      ->check(CLI::Range(0, INT32_MAX));
  cmd->add_option("--min-p", x.min_p, "Drop tokens less likely than this fraction of the top token (0 = off)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--repetition-penalty", x.repetition_penalty,
                  "Divide positive (multiply negative) logits of tokens already in prompt + reply by this\n"
                  "(HF/vLLM's repetition_penalty; 1 = off)")
      ->check(CLI::Range(0.01, 10.0));
  cmd->add_option("--frequency-penalty", x.frequency_penalty,
                  "Subtract this times the token's count in the reply from its logit (OpenAI's; 0 = off)")
      ->check(CLI::Range(-2.0, 2.0));
  cmd->add_option("--presence-penalty", x.presence_penalty,
                  "Subtract this from the logit of every token the reply already has (OpenAI's; 0 = off)")
      ->check(CLI::Range(-2.0, 2.0));
  cmd->add_option("--penalty-last-n", x.penalty_last_n,
                  "The three penalties look at the last N tokens only (-1 = all, 0 = penalties off)")
      ->check(CLI::Range(-1, INT32_MAX));
  cmd->add_option("--dry-multiplier", x.dry_multiplier,
                  "DRY (llama.cpp's): penalise a token extending a repeat of length L >= allowed length by\n"
                  "multiplier * base^(L - allowed length) (0 = off; 0.8 is llama.cpp's suggestion)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--dry-base", x.dry_base, "DRY base (default 1.75)")->check(CLI::Range(1.0, 100.0));
  cmd->add_option("--dry-allowed-length", x.dry_allowed_length,
                  "Repeats up to this long are free (default 2)")
      ->check(CLI::Range(1, INT32_MAX));
  cmd->add_option("--dry-penalty-last-n", x.dry_penalty_last_n,
                  "DRY looks at the last N tokens of prompt + reply (-1 = all, the default; 0 = off)")
      ->check(CLI::Range(-1, INT32_MAX));
  cmd->add_option("--dry-sequence-breaker", o.dry_breakers,
                  "Text no repeat crosses (repeatable; replaces the defaults \\n : \" *; '' for none)");
  cmd->add_option("--logit-bias", o.logit_bias,
                  "ID=BIAS: add BIAS (-100..100) to token ID's logit (repeatable)");
}

// The extras with --logit-bias and --dry-sequence-breaker parsed. Throws InputError.
inline net::SamplingExtras sampling_extras(const SamplingOptions& o) {
  net::SamplingExtras x = o.x;
  for (const auto& s : o.logit_bias) {
    const auto eq = s.find('=');
    int64_t id = -1;
    double bias = 0;
    bool ok = eq != std::string::npos;
    if (ok) {
      auto [e1, ec1] = std::from_chars(s.data(), s.data() + eq, id);
      ok = ec1 == std::errc() && e1 == s.data() + eq && id >= 0 && id <= INT32_MAX;
      try {
        size_t used = 0;
        bias = std::stod(s.substr(eq + 1), &used);
        ok = ok && used == s.size() - eq - 1 && bias >= -100 && bias <= 100;
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok) fail_input("--logit-bias {}: expected ID=BIAS with a token id and a bias in [-100, 100]", s);
    x.logit_bias.emplace_back(static_cast<int32_t>(id), bias);
  }
  if (!o.dry_breakers.empty()) {
    std::vector<std::string> b;
    for (const auto& s : o.dry_breakers)
      if (!s.empty()) b.push_back(s);
    x.dry_sequence_breakers = std::move(b);
  }
  return x;
}

}  // namespace lw::apps
