#!/usr/bin/python3
"""Float64 golden logits and a float64 training gradient for the committed golden models.

The committed fixtures (tests/fixtures/golden/<name>/) hold HF transformers' logits, computed by
scripts/golden/make_golden.py in a float64 model but stored as float32, and HF's own forward keeps
parts of the computation in float32 even then (RMSNorm, the attention softmax, the rotary tables).
transformers is not installable here, so this script is a float64 PyTorch port of the three HF
architectures (LlamaForCausalLM with plain and llama3-scaled RoPE, tied and untied; GlmForCausalLM
with q/k/v biases, fused gate_up_proj and partial interleaved rotary), written from the definitions
in HF's modeling_llama.py, modeling_glm.py and modeling_rope_utils.py:

  mode "hf":  the port with HF's casts (RMSNorm and softmax in float32, cos/sin evaluated in
              float32). It must reproduce the committed HF logits to float32 rounding: this is the
              check that ties the port to HF.
  mode "f64": everything in float64 except what is float32 by definition (the rotary frequencies
              and the angle position * inv_freq, both float32 in HF; cos/sin of that angle are
              evaluated in float64). These are the float64 golden logits.

The script FIRST checks both modes against the committed HF float32 logits (and stops on failure),
then writes beside them:
  <name>.seq<i>.f64   float64 little-endian logits [T, V] of each sequence (mode f64)
  golden_f64.json     the file list, the float32 rotary frequencies used, the measured errors
  <name>.grad.f64     (every model) the float64 gradient of the training loss w.r.t. every parameter,
                      concatenated in the order of grad.json, each tensor row-major
  grad.json           names, shapes, offsets, the loss value and its definition

The loss is the trainer's `token` objective over one pack holding the fixture's sequences: every
position t < T-1 of a sequence predicts token t+1 of the same sequence (cross-entropy of the
log-softmax of its logits), the last position predicts nothing, and the loss is the sum of these
negative log-likelihoods over all sequences divided by their count. Gradients by torch autograd.

Run (needs Debian's python3-torch and python3-numpy only; not part of scripts/setup.sh):
    /usr/bin/python3 scripts/golden/make_f64_golden.py tests/fixtures/golden
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

NAMES = ["llama3-tiny", "llama2-tied-tiny", "glm4-tiny"]
# The port in mode "hf" against HF's float32-stored logits: float32 rounding of the stored values
# plus float32 reduction-order differences inside RMSNorm/softmax.
HF_MODE_TOL = 1e-6
# Mode "f64" against the same: HF's float32 RMSNorm, softmax and cos/sin add float32-size errors
# (measured: both modes are within 3.0e-7 of the largest logit on all three models).
F64_MODE_TOL = 1e-6


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(info["shape"])
        out[name] = torch.tensor(arr.astype(np.float64))
    return out


def rope_params(cfg):
    """(theta, scaling dict or None, partial factor) from an HF config.json (either key style)."""
    rp = cfg.get("rope_parameters") or {}
    theta = float(rp.get("rope_theta", cfg.get("rope_theta", 10000.0)))
    scaling = cfg.get("rope_scaling")
    if scaling is None and rp.get("rope_type", "default") != "default":
        scaling = rp
    partial = float(rp.get("partial_rotary_factor", cfg.get("partial_rotary_factor", 1.0)))
    return theta, scaling, partial


def inv_freq_f32(cfg):
    """HF's inverse frequencies, in float32 tensor arithmetic as modeling_rope_utils computes them
    (default and llama3 scaling), with the correctly rounded float32 theta ** (2i / dim)."""
    theta, scaling, partial = rope_params(cfg)
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    dim = int(head_dim * partial)
    e = torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim  # float32
    # HF: theta ** e in float32. torch's float32 pow is off by an ulp on some CPUs and versions, so
    # this takes the correctly rounded value (float64 pow, rounded once to float32), as the engine.
    base = torch.from_numpy((np.float64(theta) ** e.double().numpy()).astype(np.float32))
    inv = 1.0 / base
    if scaling is not None and scaling.get("rope_type", scaling.get("type")) == "llama3":
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old_ctx = scaling["original_max_position_embeddings"]
        low_wl, high_wl = old_ctx / low, old_ctx / high
        wavelen = 2 * math.pi / inv
        inv_l = torch.where(wavelen > low_wl, inv / factor, inv)
        smooth = (old_ctx / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
        medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
        inv = torch.where(medium, smoothed, inv_l)
    assert inv.dtype == torch.float32
    return inv, dim


class Port:
    def __init__(self, d, mode):
        self.cfg = json.load(open(os.path.join(d, "config.json")))
        self.mode = mode
        self.glm = self.cfg["model_type"] == "glm"
        self.w = load_safetensors(os.path.join(d, "model.safetensors"))
        if "lm_head.weight" not in self.w:
            assert self.cfg.get("tie_word_embeddings", False)
        c = self.cfg
        self.n_head, self.n_kv = c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c.get("head_dim") or c["hidden_size"] // self.n_head
        self.eps = c["rms_norm_eps"]
        self.inv_freq, self.rot = inv_freq_f32(c)

    def params(self):
        return self.w

    def rmsnorm(self, x, w):
        if self.mode == "hf":  # HF: normalise in float32, back to the input dtype, times the weight
            x32 = x.to(torch.float32)
            x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
            return w * x32.to(torch.float64)
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def cos_sin(self, T):
        pos = torch.arange(T, dtype=torch.float32)
        ang = pos[:, None] * self.inv_freq[None, :]  # (T, rot/2) float32, as HF's f32 matmul
        if self.mode == "hf":
            return ang.cos().to(torch.float64), ang.sin().to(torch.float64)
        a = ang.to(torch.float64)
        return a.cos(), a.sin()

    def rope(self, x, cos, sin):
        """x (n, T, hd); cos, sin (T, rot/2)."""
        r = self.rot
        xr, xp = x[..., :r], x[..., r:]
        if self.glm:  # GLM: pairs (2i, 2i+1), cos/sin repeated interleaved
            c = cos.repeat_interleave(2, dim=-1)
            s = sin.repeat_interleave(2, dim=-1)
            rot_half = torch.stack((-xr[..., 1::2], xr[..., 0::2]), dim=-1).flatten(-2)
        else:  # Llama: pairs (i, i + r/2), cos/sin concatenated with themselves
            c = torch.cat((cos, cos), dim=-1)
            s = torch.cat((sin, sin), dim=-1)
            rot_half = torch.cat((-xr[..., r // 2:], xr[..., :r // 2]), dim=-1)
        return torch.cat((xr * c + rot_half * s, xp), dim=-1)

    def linear(self, x, name, bias=False):
        y = x @ self.w[name + ".weight"].T
        if bias:
            y = y + self.w[name + ".bias"]
        return y

    def forward(self, ids):
        w, T = self.w, len(ids)
        nh, nkv, hd = self.n_head, self.n_kv, self.hd
        x = w["model.embed_tokens.weight"][torch.tensor(ids)]  # (T, C)
        cos, sin = self.cos_sin(T)
        mask = torch.triu(torch.full((T, T), float("-inf"), dtype=torch.float64), diagonal=1)
        bias = self.cfg.get("attention_bias", False)
        for l in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{l}."
            h = self.rmsnorm(x, w[p + "input_layernorm.weight"])
            q = self.linear(h, p + "self_attn.q_proj", bias).view(T, nh, hd).transpose(0, 1)  # (nh, T, hd)
            k = self.linear(h, p + "self_attn.k_proj", bias).view(T, nkv, hd).transpose(0, 1)  # (nkv, T, hd)
            v = self.linear(h, p + "self_attn.v_proj", bias).view(T, nkv, hd).transpose(0, 1)  # (nkv, T, hd)
            q, k = self.rope(q, cos, sin), self.rope(k, cos, sin)
            k = k.repeat_interleave(nh // nkv, dim=0)  # (nh, T, hd): query head h reads KV head h // group
            v = v.repeat_interleave(nh // nkv, dim=0)
            scores = (q @ k.transpose(1, 2)) * (hd ** -0.5) + mask  # (nh, T, T)
            if self.mode == "hf":
                probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(torch.float64)
            else:
                probs = torch.softmax(scores, dim=-1)
            att = (probs @ v).transpose(0, 1).reshape(T, nh * hd)  # (T, nh * hd)
            x = x + self.linear(att, p + "self_attn.o_proj")
            h = self.rmsnorm(x, w[p + "post_attention_layernorm.weight"])
            if self.glm:
                gate, up = self.linear(h, p + "mlp.gate_up_proj").chunk(2, dim=-1)  # (T, ffn) each
            else:
                gate, up = self.linear(h, p + "mlp.gate_proj"), self.linear(h, p + "mlp.up_proj")
            x = x + self.linear(up * torch.nn.functional.silu(gate), p + "mlp.down_proj")
        x = self.rmsnorm(x, w["model.norm.weight"])
        lm = w.get("lm_head.weight", w["model.embed_tokens.weight"])
        return x @ lm.T  # (T, V)


def max_errors(got, want):
    err = (got - want).abs().max().item()
    return err, err / want.abs().max().item()


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/golden"
    torch.set_num_threads(1)
    made_with = f"torch {torch.__version__}, numpy {np.__version__}, scripts/golden/make_f64_golden.py"
    print(made_with)
    for name in NAMES:
        d = os.path.join(root, name)
        g = json.load(open(os.path.join(d, "golden.json")))
        V = json.load(open(os.path.join(d, "config.json")))["vocab_size"]
        hf = [torch.tensor(np.fromfile(os.path.join(d, f), dtype="<f4").astype(np.float64)).view(-1, V)
              for f in g["logits"]]
        # 1. The check against HF's own outputs, both modes, before anything is written.
        checks = {}
        outs = {}
        for mode, tol in (("hf", HF_MODE_TOL), ("f64", F64_MODE_TOL)):
            port = Port(d, mode)
            worst_abs = worst_rel = 0.0
            outs[mode] = []
            with torch.no_grad():
                for ids, want in zip(g["input_ids"], hf):
                    got = port.forward(ids)
                    outs[mode].append(got)
                    a, r = max_errors(got, want)
                    worst_abs, worst_rel = max(worst_abs, a), max(worst_rel, r)
            print(f"{name}: port mode {mode:3s} vs HF float32 logits: max abs err {worst_abs:.3e}, "
                  f"max err / max|logit| {worst_rel:.3e} (tolerance {tol:g})")
            assert worst_rel < tol, f"{name}: the port (mode {mode}) does not reproduce HF's logits"
            checks[mode] = {"max_abs_err": worst_abs, "max_rel_err": worst_rel, "tolerance": tol}
        # 2. The float64 golden logits.
        files = []
        for i, lg in enumerate(outs["f64"]):
            fn = f"{name}.seq{i}.f64"
            lg.numpy().astype("<f8").tofile(os.path.join(d, fn))
            files.append(fn)
        port = Port(d, "f64")
        json.dump({"input_ids": g["input_ids"], "logits": files, "dtype": "float64", "layout": "[T, V] row-major",
                   "rope_inv_freq_f32": [float(f) for f in port.inv_freq.tolist()],
                   "check_against_hf_float32_logits": checks, "made_with": made_with},
                  open(os.path.join(d, "golden_f64.json"), "w"), indent=1)
        # 3. The gradient of the training loss over one pack of the fixture's sequences.
        params = port.params()
        for t in params.values():
            t.requires_grad_(True)
        n_targets = sum(len(ids) - 1 for ids in g["input_ids"])
        total = torch.zeros((), dtype=torch.float64)
        for ids in g["input_ids"]:
            logp = torch.log_softmax(port.forward(ids), dim=-1)  # (T, V)
            total = total - logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum()
        loss = total / n_targets
        loss.backward()
        index, off = [], 0
        with open(os.path.join(d, f"{name}.grad.f64"), "wb") as f:
            for pname, t in params.items():
                gr = t.grad.detach().contiguous().numpy().astype("<f8")
                f.write(gr.tobytes())
                index.append({"name": pname, "shape": list(t.shape), "offset": off})
                off += gr.size
        json.dump({"file": f"{name}.grad.f64", "dtype": "float64", "loss": loss.item(), "n_targets": n_targets,
                   "sequences": g["input_ids"],
                   "definition": "token mean of the next-token NLL over one pack of the sequences (the last "
                                 "position of each predicts nothing); gradient of it w.r.t. every parameter "
                                 "in float64 (port mode f64, torch autograd); offsets in elements",
                   "tensors": index, "made_with": made_with},
                  open(os.path.join(d, "grad.json"), "w"), indent=1)
        print(f"{name}: loss {loss.item():.12f} over {n_targets} targets, {len(index)} gradient tensors")
    print("done")


if __name__ == "__main__":
    main()
