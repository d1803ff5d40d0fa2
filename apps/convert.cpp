// longwriter convert IN OUT: HF safetensors directory <-> GGUF file, GGUF -> GGUF; any storage type or
// quantization scheme (llama and chatglm architectures).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/registry.hpp"
#include "convert/convert.hpp"
#include "util/error.hpp"

namespace {

struct Options {
  std::string in, out;
  lw::convert::ConvertOptions c;
  bool no_tokenizer = false;
};

const bool registered = lw::apps::register_command("convert", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "convert",
      "Convert a model between an HF directory (config.json + safetensors) and a GGUF file, or re-type a\n"
      "GGUF file (llama and GLM-4 / llama.cpp's chatglm architectures), so models trained here run in\n"
      "llama.cpp / Ollama and theirs run here. A directory becomes OUT.gguf; a .gguf file becomes OUT.gguf\n"
      "(re-typed or re-quantized) or the directory OUT (dequantized to f32/f16/bf16 safetensors). Tensor\n"
      "names, config <-> metadata, llama.cpp's q/k row order, GLM's fused q/k/v and the tokenizer (byte-level\n"
      "BPE tokenizer.json or SentencePiece tokenizer.model, chat template) are carried over.\n"
      "Examples: longwriter convert models/tiny tiny.gguf --dtype f16\n"
      "          longwriter convert LongWriter-llama3.1-8b models/lw-8b-q4_k_m.gguf --dtype q4_k_m\n"
      "          longwriter convert LongWriter-glm4-9b-f16.gguf lw-glm4-q8_0.gguf --dtype q8_0\n"
      "          longwriter convert Meta-Llama-3-8B-Instruct.Q8_0.gguf models/llama3 --dtype bf16");
  cmd->add_option("in", o->in, "Input: an HF model directory or a .gguf file")->required();
  cmd->add_option("out", o->out, "Output: a .gguf file (from a directory) or a directory (from a .gguf)")->required();
  cmd->add_option("--dtype", o->c.dtype,
                  "Matrix storage type in the output. keep: as in the input (quantized tensors become f32 in\n"
                  "safetensors). GGUF output: f32, f16, bf16, q8_0, q6_k, q5_k, q4_k, q3_k, q2_k, q5_0, q5_1,\n"
                  "q4_0, q4_1, iq4_nl, iq4_xs, or llama.cpp's per-tensor mixes q4_k_m, q4_k_s, q5_k_m, q5_k_s\n"
                  "(q4_k_m: q4_k with q6_k for the output and for attn_v / ffn_down in a third of the layers).\n"
                  "HF output: f32, f16, bf16. Norm weights are f32 in GGUF")
      ->capture_default_str();
  cmd->add_option("--name", o->c.name, "general.name written into a GGUF file (default: the input's name)");
  cmd->add_flag("--no-tokenizer", o->no_tokenizer, "Do not carry the tokenizer over");
  lw::apps::set_action(cmd, [o] {
    namespace fs = std::filesystem;
    o->c.tokenizer = !o->no_tokenizer;
    lw::convert::ConvertReport r;
    if (fs::is_directory(o->in)) {
      if (fs::path(o->out).extension() != ".gguf") lw::fail_input("OUT {}: expected a .gguf file name", o->out);
      r = lw::convert::convert_hf_to_gguf(o->in, o->out, o->c);
    } else if (fs::is_regular_file(o->in) && fs::path(o->out).extension() == ".gguf") {
      r = lw::convert::convert_gguf_to_gguf(o->in, o->out, o->c);
    } else if (fs::is_regular_file(o->in)) {
      r = lw::convert::convert_gguf_to_hf(o->in, o->out, o->c);
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
