#pragma once
// The one model configuration of the engine (inference and training): a Llama-family decoder
// (Llama 2/3/3.1 with GQA and llama3 rope scaling) or GLM-4 (fused/biased QKV, partial interleaved
// rotary). Read from HF config.json (LlamaForCausalLM, GlmForCausalLM,
// ChatGLMForConditionalGeneration) or from GGUF metadata (engine/gguf_model.hpp).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::engine {

enum class Arch { llama, glm4 };

// "llama" / "glm4".
std::string arch_name(Arch a);

// rope_scaling of HF config.json. type "" = none; "llama3" = Llama 3.1 frequency-dependent
// scaling; "linear" = positions divided by factor.
struct RopeScaling {
  std::string type;
  float factor = 1.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int original_max_position_embeddings = 8192;
};

struct ModelConfig {
  Arch arch = Arch::llama;
  int V = 0;          // vocabulary size (rows of the embedding and of lm_head)
  int C = 0;          // hidden size
  int n_layer = 0;
  int n_head = 0;     // query heads
  int n_kv_head = 0;  // key/value heads (GQA: n_head % n_kv_head == 0)
  int hd = 0;         // head dimension (q_dim = n_head*hd may differ from C)
  int ffn = 0;        // SwiGLU intermediate size
  float rms_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeScaling rope_scaling;
  // Per-frequency divisors (rot_dim/2 of them) applied after rope_scaling; GGUF files carry Llama
  // 3.1 scaling this way (tensor rope_freqs.weight). Empty: none.
  std::vector<float> rope_freq_factors;
  // Fraction of each head's dims that are rotated (GLM-4: 0.5); rot_dim() = hd * factor.
  float partial_rotary_factor = 1.0f;
  // false: Llama/NeoX "rotate half" pairs (i, i + rot/2); true: GLM pairs (2i, 2i+1).
  bool rope_interleaved = false;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // GLM-4: biases on q, k, v projections
  int max_context = 2048;
  int32_t bos_id = -1;               // -1: none
  std::vector<int32_t> eos_ids;      // every id that ends generation according to config.json
  int32_t pad_id = -1;

  int q_dim() const { return n_head * hd; }
  int kv_dim() const { return n_kv_head * hd; }
  int rot_dim() const;  // even, <= hd
  // Throws InputError naming `where` when a dimension is missing or inconsistent.
  void validate(const std::string& where = "config") const;
  // Total number of parameters (elements) in the parameter list (engine/params.hpp).
  int64_t n_params() const;
};

// Parses an HF config.json object ("architectures"/"model_type": llama, glm, chatglm). `where`
// names the source in errors (e.g. "model/config.json").
ModelConfig config_from_hf_json(const nlohmann::json& j, const std::string& where);
// Reads DIR/config.json (or the file itself when `path` is a .json file).
ModelConfig load_hf_config(const std::filesystem::path& path);
// The config.json written with trained models: LlamaForCausalLM or GlmForCausalLM layout, readable
// by HF transformers and by config_from_hf_json (round trip).
nlohmann::json config_to_hf_json(const ModelConfig& cfg);

// RoPE inverse frequencies, rot_dim()/2 of them, with rope_scaling applied:
// inv_freq[i] = theta^(-2i/rot_dim) (llama3: rescaled per band as in Llama 3.1).
std::vector<float> rope_inv_freq(const ModelConfig& cfg);

}  // namespace lw::engine
