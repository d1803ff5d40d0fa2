// longwriter generate: run a local model (HF directory or .gguf) on one prompt with the native
// engine, streaming the text, then print prefill and decode speed. With --n N, N sequences from the
// prompt, decoded together by the serve scheduler (the prompt prefilled once, one forward pass per
// token for all N; sequence i samples with seed + i).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/engine_options.hpp"
#include "common/registry.hpp"
#include "common/sampling_options.hpp"
#include "common/speculative_options.hpp"
#include "engine/generate.hpp"
#include "engine/model.hpp"
#include "engine/ops.hpp"
#include "io/file.hpp"
#include "io/gguf.hpp"
#include "serve/sampling_fields.hpp"
#include "serve/scheduler.hpp"
#include "tokenizer/chat_format.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw;

struct Options {
  std::string model, prompt, chat, prompt_ids, system, format, dump_logits, dtype = "keep", kv_cache = "f16";
  std::vector<std::string> stop;
  int max_new_tokens = 256, threads = 0, max_context = 0, n = 1;
  lw::apps::SamplingOptions sampling;
  lw::apps::SpeculativeOptions spec;
  double temperature = 0.0, top_p = 1.0;
  uint64_t seed = 0;
  bool print_ids = false, no_bos = false, json = false;
};

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
  return line;
}

// One sequence as a JSON line (--json).
void print_json_line(int index, uint64_t seed, const std::string& text, const std::string& finish,
                     int64_t completion_tokens, const std::vector<int32_t>* ids) {
  nlohmann::json j = {{"index", index},
                      {"seed", seed},
                      {"text", text},
                      {"finish_reason", finish},
                      {"completion_tokens", completion_tokens}};
  if (ids) j["tokens"] = *ids;
  std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

// --n N > 1: the N sequences go to one scheduler with N slots (serve/scheduler.hpp submit_n), which
// prefills the prompt once, copies its keys and values to the other slots, and decodes all N in one
// forward pass per token. Prints each sequence (or a JSON line each) in order, then the aggregate
// decode rate on stderr.
int run_n(const Options& o, const engine::Model& model, const tok::Tokenizer* tk,
          const std::vector<int32_t>& ids, const engine::GenerateOptions& go) {
  if (!tk) fail_input("--n {}: needs the model's tokenizer (the sequences are decoded to text)", o.n);
  const int P = static_cast<int>(ids.size());
  serve::SchedulerOptions so;
  so.n_slots = o.n;
  const int ctx = o.max_context > 0 ? o.max_context : model.config().max_context;
  so.max_context = std::min(ctx, P + std::max(go.max_new_tokens, 1));  // reserve only what can be used
  so.prefill_chunk = std::max(P, 512);  // the prompt in one pass, as the single-sequence path does
  so.threads = o.threads;
  so.kv_dtype = go.kv_dtype;
  so.prefix_cache = false;
  so.draft = go.draft;
  serve::Scheduler sched(model, *tk, so);
  serve::SeqParams sp;
  sp.prompt = ids;
  sp.sampling = go.sampling;
  sp.max_new_tokens = go.max_new_tokens;
  sp.stop_ids = go.stop_ids;
  sp.stop_strings = go.stop_strings;
  if (o.print_ids) sp.top_logprobs = 0;  // the log-probability entries carry the token ids
  auto outs = sched.submit_n(sp, o.n);
  int64_t generated = 0;
  double first = 1e300, last = 0;  // seconds from submit: first sampled token, last token of all
  std::string reasons;
  for (size_t i = 0; i < outs.size(); ++i) {
    auto& out = *outs[i];
    std::string text, piece;
    while (out.next(piece)) text += piece;
    if (!out.error().empty()) fail("sequence {}: {}", i + 1, out.error());
    std::vector<int32_t> toks;
    for (const auto& t : out.take_logprobs()) toks.push_back(t.id);
    const uint64_t seed = go.sampling.seed + i;
    if (o.json) {
      print_json_line(static_cast<int>(i), seed, text, out.finish_reason(), out.completion_tokens(),
                      o.print_ids ? &toks : nullptr);
    } else {
      std::printf("%s--- sequence %zu of %d (seed %llu, %lld tokens, %s) ---\n%s\n", i ? "\n" : "", i + 1,
                  o.n, static_cast<unsigned long long>(seed), static_cast<long long>(out.completion_tokens()),
                  out.finish_reason().c_str(), text.c_str());
      if (o.print_ids) std::printf("%s\n", ids_text(toks).c_str());
    }
    generated += out.completion_tokens();
    first = std::min(first, out.prefill_seconds());
    last = std::max(last, out.prefill_seconds() + out.decode_seconds());
    reasons += (i ? "," : "") + out.finish_reason();
  }
  std::fflush(stdout);
  const auto st = sched.stats();
  const double decode_s = last > first ? last - first : 0.0;
  const int64_t decoded = generated - o.n;  // each sequence's first token comes from the prefill
  std::fprintf(
      stderr,
      "prompt %d tokens, prefilled once for %d sequences (%lld prompt tokens computed); generated %lld "
      "(%s); prefill %.1f tokens/s (%.2f s), decode %.1f tokens/s aggregate (%.2f s, %.1f sequences per "
      "step); KV cache %.1f MB %s; %d threads, %s\n",
      P, o.n, static_cast<long long>(st.prompt_tokens), static_cast<long long>(generated), reasons.c_str(),
      first > 0 ? P / first : 0.0, first, decode_s > 0 && decoded > 0 ? decoded / decode_s : 0.0, decode_s,
      st.decode_steps > 0 ? static_cast<double>(st.decode_rows) / static_cast<double>(st.decode_steps) : 0.0,
      sched.kv_cache_bytes() / 1e6, o.kv_cache.c_str(), engine::num_threads(), engine::simd_level());
  if (go.draft.enabled()) std::fprintf(stderr, "%s\n", engine::draft_summary(st.draft).c_str());
  return 0;
}

std::vector<int32_t> parse_ids(const std::string& s) {
  std::vector<int32_t> ids;
  std::string tok;
  std::istringstream in(s);
  while (in >> tok) {
    if (!tok.empty() && tok.back() == ',') tok.pop_back();
    if (tok.empty()) continue;
    try {
      size_t used = 0;
      long v = std::stol(tok, &used);
      if (used != tok.size() || v < 0 || v > INT32_MAX) throw std::invalid_argument(tok);
      ids.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      fail_input("--prompt-ids: '{}' is not a token id (expected non-negative integers separated by spaces)", tok);
    }
  }
  if (ids.empty()) fail_input("--prompt-ids: no token ids given");
  return ids;
}

tok::ChatFormatId chat_format_for(const Options& o, const tok::Tokenizer& tk) {
  if (!o.format.empty()) return tok::parse_chat_format(o.format);
  if (fs::is_directory(o.model)) return tok::detect_chat_format(o.model, &tk).id;
  tok::ChatFormatHints h;
  auto g = io::GgufFile::open(o.model);
  h.chat_template = g.get_string_opt("tokenizer.chat_template").value_or("");
  h.architectures = {g.get_string_opt("general.architecture").value_or("")};
  h.model_name = fs::path(o.model).filename().string();
  h.has_token = [&tk](std::string_view t) { return tk.token_to_id(t).has_value(); };
  auto d = tok::detect_chat_format(h);
  if (!d) fail_input("{}: cannot detect the chat format; give --format ({})", o.model, "llama3, llama3-longwriter, glm4, chatml");
  return d->id;
}

void dump_logits(const engine::Model& m, const std::vector<int32_t>& ids, const std::string& path) {
  engine::Workspace ws;
  std::vector<float> logits;
  engine::forward(m, engine::Batch::single(ids, 0, /*all_logits=*/true), nullptr, ws, logits);
  io::write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(logits.data()),
                                               logits.size() * sizeof(float)));
  nlohmann::json h = {{"file", fs::path(path).filename().string()},
                      {"dtype", "float32"},
                      {"byte_order", "little"},
                      {"layout", "row-major [T, V]: row t = logits after prompt token t"},
                      {"T", ids.size()},
                      {"V", m.config().V},
                      {"input_ids", ids},
                      {"model", m.source()}};
  io::write_file_atomic(path + ".json", h.dump(1) + "\n");
  log::info("wrote logits [{}, {}] to {} (header {}.json)", ids.size(), m.config().V, path, path);
}

int run(const Options& o) {
  const int given = !o.prompt.empty() + !o.chat.empty() + !o.prompt_ids.empty();
  if (given != 1) fail_input("give exactly one of --prompt, --chat or --prompt-ids");
  engine::set_num_threads(o.threads);
  engine::LoadOptions lo;
  if (o.dtype == "f32") lo.convert = engine::LoadOptions::Convert::f32;
  else if (o.dtype == "bf16") lo.convert = engine::LoadOptions::Convert::bf16;
  else if (o.dtype != "keep") fail_input("--dtype: expected keep, f32 or bf16 (got '{}')", o.dtype);
  lo.max_context = o.max_context;
  const auto t_load = std::chrono::steady_clock::now();
  auto model = engine::load_model(o.model, lo);
  log::info("{} (loaded in {:.2f} s)", model->describe(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count());

  std::unique_ptr<tok::Tokenizer> tk;
  try {
    tk = tok::load_tokenizer(o.model);
  } catch (const Error& e) {
    if (o.prompt_ids.empty()) throw;
    log::warn("no tokenizer ({}); printing token ids only", e.what());
  }
  const auto& cfg = model->config();
  std::vector<int32_t> ids;
  engine::GenerateOptions go;
  go.stop_ids = cfg.eos_ids;
  if (tk)
    for (auto id : tk->stop_ids()) go.stop_ids.push_back(id);
  if (!o.prompt_ids.empty()) {
    ids = parse_ids(o.prompt_ids);
  } else if (!o.prompt.empty()) {
    const int32_t bos = cfg.bos_id >= 0 ? cfg.bos_id : tk->bos_id();
    if (bos >= 0 && !o.no_bos) ids.push_back(bos);
    auto enc = tk->encode(o.prompt);
    ids.insert(ids.end(), enc.begin(), enc.end());
  } else {
    tok::ChatFormat fmt(chat_format_for(o, *tk), *tk);
    std::vector<tok::ChatMessage> msgs;
    if (!o.system.empty()) msgs.push_back({"system", o.system});
    msgs.push_back({"user", o.chat});
    ids = fmt.render_prompt(msgs);
    for (auto id : fmt.stop_ids()) go.stop_ids.push_back(id);
    log::info("chat format {}", fmt.name());
  }
  if (!o.dump_logits.empty()) dump_logits(*model, ids, o.dump_logits);

  go.max_new_tokens = o.max_new_tokens;
  go.sampling.temperature = static_cast<float>(o.temperature);
  go.sampling.top_p = static_cast<float>(o.top_p);
  go.sampling.seed = o.seed;
  go.sampling = serve::with_extras(go.sampling, lw::apps::sampling_extras(o.sampling));
  go.stop_strings = o.stop;
  go.max_context = o.max_context;
  go.kv_dtype = engine::parse_kv_dtype(o.kv_cache);
  go.draft = apps::draft_options(o.spec);
  std::unique_ptr<engine::Model> draft;
  if (!o.spec.draft_model.empty()) {
    draft = engine::load_draft_model(o.spec.draft_model, *model, tk.get(), lo);
    log::info("draft model {}", draft->describe());
    go.draft.draft_model = draft.get();
  }
  engine::validate(go.draft);
  if (o.n > 1) return run_n(o, *model, tk.get(), ids, go);
  auto res = engine::generate(*model, tk.get(), ids, go, [&](int32_t, std::string_view delta) {
    if (!delta.empty() && !o.json) {
      std::fwrite(delta.data(), 1, delta.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  });
  if (o.json) {
    print_json_line(0, go.sampling.seed, res.text, res.finish_reason, static_cast<int64_t>(res.tokens.size()),
                    o.print_ids || !tk ? &res.tokens : nullptr);
  } else {
    if (tk) std::printf("\n");
    if (o.print_ids || !tk) std::printf("%s\n", ids_text(res.tokens).c_str());
  }
  std::fflush(stdout);  // the text ends before the speed line on stderr, also when both are piped
  const int n_dec = static_cast<int>(res.tokens.size());
  std::fprintf(stderr,
               "prompt %d tokens, generated %d (%s); prefill %.1f tokens/s (%.2f s), decode %.1f tokens/s "
               "(%.2f s); KV cache %.1f MB %s; %d threads, %s\n",
               res.prompt_tokens, n_dec, res.finish_reason.c_str(),
               res.prefill_s > 0 ? res.prompt_tokens / res.prefill_s : 0.0, res.prefill_s,
               res.decode_s > 0 && n_dec > 1 ? (n_dec - 1) / res.decode_s : 0.0, res.decode_s,
               res.kv_cache_bytes / 1e6, o.kv_cache.c_str(), engine::num_threads(), engine::simd_level());
  if (go.draft.enabled()) std::fprintf(stderr, "%s\n", engine::draft_summary(res.draft).c_str());
  return 0;
}

const bool registered = apps::register_command("generate", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "generate",
      "Generate text from a local model with the native engine (HF directory with config.json +\n"
      "*.safetensors, or a llama .gguf file). The prompt is raw text (--prompt, BOS added), a user\n"
      "message rendered with the model's chat format (--chat), or token ids (--prompt-ids; works\n"
      "without a tokenizer). The text streams to stdout; speeds go to stderr.\n"
      "With --n N, N sequences from the one prompt are decoded together (the prompt prefilled once,\n"
      "one forward pass per token for all N; sequence i samples with --seed + i) and printed in turn;\n"
      "stderr reports the aggregate decode tokens/s.\n"
      "With --lookup or --draft-model, speculative decoding: up to --draft-max drafted tokens are\n"
      "checked in one forward pass (stderr reports drafted and accepted tokens).\n"
      "Example: longwriter generate --model models/tiny --chat \"Write a poem\" --max-new-tokens 200\n"
      "         longwriter generate --model m.gguf --chat \"A poem\" --n 4 --temperature 0.8 --seed 1 "
      "--json");
  cmd->add_option("--model", o->model, "Local model: a directory (config.json + safetensors) or a .gguf file")
      ->required();
  cmd->add_option("--prompt", o->prompt, "Raw prompt text (tokenized as is, after a BOS token)");
  cmd->add_option("--chat", o->chat, "A user message, rendered with the chat format into a prompt");
  cmd->add_option("--system", o->system, "System message for --chat");
  cmd->add_option("--format", o->format,
                  "Chat format for --chat: llama3, llama3-longwriter, glm4, chatml (default: detected\n"
                  "from the model's chat_template, architecture and special tokens)");
  cmd->add_option("--prompt-ids", o->prompt_ids, "Prompt as token ids, e.g. \"1 15043 3186\"");
  cmd->add_option("--max-new-tokens", o->max_new_tokens,
                  "Most tokens to generate (capped by the context limit)")
      ->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "Sampling temperature; 0 = greedy (argmax)")
      ->capture_default_str();
  cmd->add_option("--top-p", o->top_p, "Nucleus sampling: smallest set with this probability mass (1 = off)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed for sampling (with --n, sequence i uses seed + i)")
      ->capture_default_str();
  cmd->add_option("--n", o->n,
                  "Sequences to generate from the prompt, decoded together (the prompt prefilled once)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--json", o->json,
                "Print each sequence as one JSON line: {\"index\", \"seed\", \"text\", \"finish_reason\",\n"
                "\"completion_tokens\"} (and \"tokens\" with --print-ids) instead of the text");
  lw::apps::add_sampling_options(cmd, o->sampling);
  cmd->add_option("--stop", o->stop, "Stop when this text appears (repeatable); the text is not printed");
  cmd->add_option("--max-context", o->max_context,
                  "Context limit in tokens, prompt included (default: the model's max_position_embeddings)");
  cmd->add_option("--dtype", o->dtype,
                  "Weights in memory: keep (as stored), f32, or bf16 (half the memory of f32)")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "Threads (0 = all cores)")->capture_default_str();
  apps::add_kv_cache_option(cmd, o->kv_cache);
  apps::add_speculative_options(cmd, o->spec);
  cmd->add_flag("--no-bos", o->no_bos, "Do not add a BOS token before --prompt");
  cmd->add_flag("--print-ids", o->print_ids, "Also print the generated token ids (one line, space-separated)");
  cmd->add_option("--dump-logits", o->dump_logits,
                  "Write the logits of every prompt position to FILE: raw float32 little-endian,\n"
                  "row-major [T, V] (row t follows prompt token t), plus FILE.json with T, V and the ids");
  apps::set_action(cmd, [o] { return run(*o); });
});

}  // namespace
