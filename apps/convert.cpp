// longwriter convert IN OUT: HF safetensors directory <-> GGUF file (llama architecture).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/registry.hpp"
#include "serve/convert.hpp"
#include "util/error.hpp"

namespace {

struct Options {
  std::string in, out;
  lw::serve::ConvertOptions c;
  bool no_tokenizer = false;
};

const bool registered = lw::apps::register_command("convert", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "convert",
      "Convert a model between an HF directory (config.json + safetensors) and a GGUF file (llama\n"
      "architecture; f32, f16, bf16), so models trained here run in llama.cpp / Ollama and theirs run\n"
      "here. The direction follows IN: a directory becomes OUT.gguf, a .gguf file becomes the directory\n"
      "OUT. Tensor names, config <-> llama.* metadata, llama.cpp's q/k row order and the tokenizer\n"
      "(byte-level BPE tokenizer.json or SentencePiece tokenizer.model, chat template) are carried over.\n"
      "Examples: longwriter convert models/tiny tiny.gguf --dtype f16\n"
      "          longwriter convert Meta-Llama-3-8B-Instruct.Q8_0.gguf models/llama3 --dtype bf16");
  cmd->add_option("in", o->in, "Input: an HF model directory or a .gguf file")->required();
  cmd->add_option("out", o->out, "Output: a .gguf file (from a directory) or a directory (from a .gguf)")->required();
  cmd->add_option("--dtype", o->c.dtype,
                  "Matrix storage type in the output: keep (as in the input; q8_0 becomes f32), f32, f16, bf16.\n"
                  "Norm weights are f32 in GGUF")
      ->capture_default_str()
      ->check(CLI::IsMember({"keep", "f32", "f16", "bf16"}));
  cmd->add_option("--name", o->c.name, "general.name written into a GGUF file (default: the input's name)");
  cmd->add_flag("--no-tokenizer", o->no_tokenizer, "Do not carry the tokenizer over");
  lw::apps::set_action(cmd, [o] {
    namespace fs = std::filesystem;
    o->c.tokenizer = !o->no_tokenizer;
    lw::serve::ConvertReport r;
    if (fs::is_directory(o->in)) {
      if (fs::path(o->out).extension() != ".gguf") lw::fail_input("OUT {}: expected a .gguf file name", o->out);
      r = lw::serve::convert_hf_to_gguf(o->in, o->out, o->c);
    } else if (fs::is_regular_file(o->in)) {
      r = lw::serve::convert_gguf_to_hf(o->in, o->out, o->c);
    } else {
      lw::fail_input("IN {}: no such model directory or .gguf file", o->in);
    }
    if (!r.notes.empty()) std::fprintf(stderr, "%s", r.notes.c_str());
    std::printf("wrote %s: %d tensors, %.1f MB%s\n", o->out.c_str(), r.tensors, static_cast<double>(r.bytes) / 1e6,
                r.tokenizer ? ", tokenizer" : "");
    return 0;
  });
});

}  // namespace
