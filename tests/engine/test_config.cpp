#include <gtest/gtest.h>

#include "engine/config.hpp"
#include "engine/params.hpp"
#include "util/error.hpp"

using namespace lw::engine;
using Json = nlohmann::json;

TEST(Config, ParsesLlama31WithRopeScaling) {
  Json j = Json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
    "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
    "num_attention_heads": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
    "rope_theta": 500000.0, "max_position_embeddings": 131072, "bos_token_id": 128000,
    "eos_token_id": [128001, 128008, 128009], "tie_word_embeddings": false,
    "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"}})");
  ModelConfig c = config_from_hf_json(j, "config.json");
  EXPECT_EQ(c.arch, Arch::llama);
  EXPECT_EQ(c.hd, 128);
  EXPECT_EQ(c.n_kv_head, 8);
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_EQ(c.eos_ids.size(), 3u);
  EXPECT_EQ(c.bos_id, 128000);
  EXPECT_EQ(c.rot_dim(), 128);
  EXPECT_NEAR(c.n_params() / 1e9, 8.03, 0.01);
  ModelConfig back = config_from_hf_json(config_to_hf_json(c), "roundtrip");
  EXPECT_EQ(back.n_params(), c.n_params());
  EXPECT_EQ(back.rope_scaling.factor, 8.0f);
  EXPECT_EQ(back.eos_ids, c.eos_ids);
}

TEST(Config, ParsesGlmAndChatglmLayoutsAlike) {
  Json glm = Json::parse(R"({"architectures": ["GlmForCausalLM"], "model_type": "glm",
    "vocab_size": 151552, "hidden_size": 4096, "intermediate_size": 13696, "num_hidden_layers": 40,
    "num_attention_heads": 32, "num_key_value_heads": 2, "head_dim": 128,
    "partial_rotary_factor": 0.5, "rms_norm_eps": 1.5625e-07, "rope_theta": 10000.0,
    "attention_bias": true, "max_position_embeddings": 131072,
    "eos_token_id": [151329, 151336, 151338], "pad_token_id": 151329})");
  Json chatglm = Json::parse(R"({"architectures": ["ChatGLMModel"], "model_type": "chatglm",
    "padded_vocab_size": 151552, "hidden_size": 4096, "ffn_hidden_size": 13696, "num_layers": 40,
    "num_attention_heads": 32, "multi_query_attention": true, "multi_query_group_num": 2,
    "kv_channels": 128, "layernorm_epsilon": 1.5625e-07, "rope_ratio": 500, "seq_length": 131072,
    "add_qkv_bias": true, "rmsnorm": true, "eos_token_id": [151329, 151336, 151338]})");
  ModelConfig a = config_from_hf_json(glm, "glm"), b = config_from_hf_json(chatglm, "chatglm");
  for (const ModelConfig* c : {&a, &b}) {
    EXPECT_EQ(c->arch, Arch::glm4);
    EXPECT_EQ(c->rot_dim(), 64);
    EXPECT_TRUE(c->rope_interleaved);
    EXPECT_TRUE(c->qkv_bias);
    EXPECT_EQ(c->n_kv_head, 2);
  }
  EXPECT_EQ(b.rope_theta, 5000000.0f);
  EXPECT_EQ(a.n_params(), b.n_params());
  auto specs = param_specs(a);
  EXPECT_EQ(specs[1].name, "model.layers.0.input_layernorm.weight");
  bool fused = false;
  for (const auto& s : specs)
    if (s.name == "model.layers.0.mlp.gate_up_proj.weight") fused = s.shape == std::vector<int64_t>{2 * 13696, 4096};
  EXPECT_TRUE(fused);
}

TEST(Config, ParamSpecsMarkWeightDecay) {
  Json j = Json::parse(R"({"model_type": "llama", "vocab_size": 10, "hidden_size": 8,
    "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "tie_word_embeddings": true})");
  auto specs = param_specs(config_from_hf_json(j, "x"));
  ASSERT_EQ(specs.size(), 1u + 9u + 1u);  // embed, 9 per layer, norm; no lm_head when tied
  for (const auto& s : specs) EXPECT_EQ(s.weight_decay, s.shape.size() == 2) << s.name;
}

TEST(Config, RejectsBadConfigsWithTheField) {
  auto bad = [](const char* text) {
    try {
      config_from_hf_json(Json::parse(text), "m/config.json");
    } catch (const lw::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(bad(R"({"model_type": "llama", "hidden_size": 8})").find("vocab_size"), std::string::npos);
  EXPECT_NE(bad(R"({"model_type": "gpt2"})").find("unsupported model"), std::string::npos);
  EXPECT_NE(bad(R"({"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                   "num_hidden_layers": 1, "num_attention_heads": 3, "num_key_value_heads": 2})")
                .find("multiple"),
            std::string::npos);
  EXPECT_NE(bad(R"({"model_type": "llama", "vocab_size": "10"})").find("m/config.json"), std::string::npos);
}
