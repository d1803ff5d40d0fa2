#pragma once
// Engine options shared by the commands that run a local model (generate, serve, and every
// command's --model PATH): the KV cache dtype and the prefix cache switch.
#include <string>

#include <CLI/CLI.hpp>

#include "engine/kv_cache.hpp"

namespace lw::apps {

// Adds `--<prefix>kv-cache f32|f16|bf16|q8_0|q4_0` writing the name to `dst` (default f16).
inline CLI::Option* add_kv_cache_option(CLI::App* cmd, std::string& dst, const std::string& prefix = "") {
  return cmd
      ->add_option("--" + prefix + "kv-cache", dst,
                   "KV cache dtype: f16 (as llama.cpp; half the memory of f32, faster decode at long\n"
                   "context), bf16, f32 (keys and values kept exactly), q8_0 (8-bit blocks of 32: 0.53x\n"
                   "the memory of f16, next-token KL vs f16 ~2e-5) or q4_0 (4-bit: 0.28x, ~4e-3, lossy;\n"
                   "docs/engine.md, \"Quantized KV cache\"). q8_0 and q4_0 need a head dim that is a\n"
                   "multiple of 32")
      ->capture_default_str()
      ->check(CLI::IsMember({"f32", "f16", "bf16", "q8_0", "q4_0"}));
}

// Adds `--<prefix>no-prefix-cache`: every request prefills its whole prompt (by default a request
// reuses the keys and values of the longest prompt prefix a finished request left in a cache slot).
inline CLI::Option* add_prefix_cache_flag(CLI::App* cmd, bool& dst, const std::string& prefix = "") {
  return cmd->add_flag(
      "--" + prefix + "no-prefix-cache", dst,
      "Prefill every prompt in full. By default a request reuses the cached keys and values\n"
      "of the longest prefix it shares with a finished request (as llama-server's slots do)");
}

}  // namespace lw::apps
