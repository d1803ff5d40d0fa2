#!/usr/bin/env python3
"""Makes the engine's golden test data with HF transformers (an implementation we did not write).

Run on a machine with torch + transformers (the GPU machine has them; CPU is enough):
    python3 scripts/golden/make_golden.py OUTDIR
For each tiny random-init model it writes OUTDIR/<name>/ with config.json, model.safetensors and
golden.json: {"input_ids": [[...], ...], "logits": ["<name>.seq0.f32", ...]} where each .f32 file is
the float32 little-endian row-major [T, V] logits of one sequence, computed in float64 in eager mode.
"""
import json, os, sys
import torch
import transformers

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
print("torch", torch.__version__, "transformers", transformers.__version__)


def perturb(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g, dtype=p.dtype))


def legacy_config(cfg_path, extra):
    cfg = json.load(open(cfg_path))
    cfg.update(extra)
    json.dump(cfg, open(cfg_path, "w"), indent=2, sort_keys=True)


def make(name, model, extra_cfg, seqs):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    model.eval()
    model.save_pretrained(d, safe_serialization=True)
    legacy_config(os.path.join(d, "config.json"), extra_cfg)
    m64 = model.to(torch.float64)
    files = []
    for i, ids in enumerate(seqs):
        with torch.no_grad():
            logits = m64(torch.tensor([ids])).logits[0].to(torch.float32).contiguous()
        fn = f"{name}.seq{i}.f32"
        logits.numpy().tofile(os.path.join(d, fn))
        files.append(fn)
        print(name, "seq", i, "T", len(ids), "logits[0,:4]", logits[0, :4].tolist(), "last argmax", int(logits[-1].argmax()))
    json.dump({"input_ids": seqs, "logits": files, "dtype": "float32", "layout": "[T, V] row-major",
               "made_with": f"torch {torch.__version__}, transformers {transformers.__version__}, float64 eager"},
              open(os.path.join(d, "golden.json"), "w"), indent=1)


V = 256
seqs = [[1, 17, 200, 5, 99, 42, 7], [1, 3, 250, 128, 64, 32, 16, 8, 4, 2, 255, 100, 77]]

# Llama 3.x style: GQA, untied embeddings, llama3 rope scaling (small original context so it bites).
torch.manual_seed(0)
rope3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
         "original_max_position_embeddings": 64}
common = dict(vocab_size=V, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-5, initializer_range=0.1,
              attn_implementation="eager")
try:
    cfg = transformers.LlamaConfig(**common, tie_word_embeddings=False,
                                   rope_parameters=dict(rope3, rope_theta=500000.0))
except TypeError:
    cfg = transformers.LlamaConfig(**common, tie_word_embeddings=False, rope_theta=500000.0, rope_scaling=rope3)
m = transformers.LlamaForCausalLM(cfg)
perturb(m, 1)
make("llama3-tiny", m, {"rope_theta": 500000.0, "rope_scaling": rope3}, seqs)

# Llama 2 style: MHA, tied embeddings, plain rope.
torch.manual_seed(1)
c2 = dict(common, num_key_value_heads=4)
try:
    cfg = transformers.LlamaConfig(**c2, tie_word_embeddings=True, rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
except TypeError:
    cfg = transformers.LlamaConfig(**c2, tie_word_embeddings=True, rope_theta=10000.0)
m = transformers.LlamaForCausalLM(cfg)
perturb(m, 2)
make("llama2-tied-tiny", m, {"rope_theta": 10000.0, "rope_scaling": None}, seqs)

# GLM-4 (GlmForCausalLM layout: q/k/v with bias, fused gate_up, partial rotary 0.5, GQA).
torch.manual_seed(2)
gc = dict(vocab_size=V, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
          num_key_value_heads=2, head_dim=16, max_position_embeddings=512, rms_norm_eps=1e-5,
          initializer_range=0.1, attention_bias=True, pad_token_id=0, bos_token_id=1, eos_token_id=2, attn_implementation="eager", tie_word_embeddings=False)
try:
    cfg = transformers.GlmConfig(**gc, rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                                        "partial_rotary_factor": 0.5})
except TypeError:
    cfg = transformers.GlmConfig(**gc, rope_theta=10000.0, partial_rotary_factor=0.5)
m = transformers.GlmForCausalLM(cfg)
perturb(m, 3)
make("glm4-tiny", m, {"rope_theta": 10000.0, "partial_rotary_factor": 0.5}, seqs)
print("done")
