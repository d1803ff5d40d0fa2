#!/usr/bin/env python3
"""PyTorch CPU baseline for bench/bench_train.cpp (issue 7's bar).

One training step = forward + backward + global-norm clipping + AdamW of the same ~19M-parameter
Llama config as bench_train (vocab 8192, hidden 384, 8 layers, 6 heads, 2 KV heads (GQA), head
dim 64, FFN 1024 SwiGLU, RMSNorm, RoPE, untied lm_head) on one pack of 4,096 tokens holding 4
sequences (1800, 1200, 700, 396 tokens; the first 64 tokens of each unlabelled). Attention is causal
and confined to each sequence (an eager per-sequence loop: what PyTorch 1.13 offers on the CPU
without a fused varlen kernel); RoPE positions restart in every sequence; the loss is the mean
next-token cross-entropy over all labelled targets (token weighting).

With --padded the 4 sequences are instead padded to the longest (4 x 1800 positions) and run as one
batch with a causal mask, the usual per-sequence batch.

Prints one JSON line: {"mode", "threads", "step_s": [...], "tokens_per_s", "params"} where
tokens_per_s counts real (non-padding) tokens per second over the timed steps.

  python3 scripts/bench/torch_train_baseline.py --threads 2 --steps 3
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

V, C, N_LAYER, N_HEAD, N_KV, HD, FFN = 8192, 384, 8, 6, 2, 64, 1024
LENS = [1800, 1200, 700, 396]
PROMPT = 64


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_norm = torch.nn.Parameter(torch.ones(C))
        self.wq = torch.nn.Linear(C, N_HEAD * HD, bias=False)
        self.wk = torch.nn.Linear(C, N_KV * HD, bias=False)
        self.wv = torch.nn.Linear(C, N_KV * HD, bias=False)
        self.wo = torch.nn.Linear(N_HEAD * HD, C, bias=False)
        self.ffn_norm = torch.nn.Parameter(torch.ones(C))
        self.w_gate = torch.nn.Linear(C, FFN, bias=False)
        self.w_up = torch.nn.Linear(C, FFN, bias=False)
        self.w_down = torch.nn.Linear(FFN, C, bias=False)


def rms_norm(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, cos, sin):
    # x (B, h, T, hd); pairs (i, i + hd/2)
    x1, x2 = x[..., : HD // 2], x[..., HD // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(V, C)
        self.layers = torch.nn.ModuleList([Layer() for _ in range(N_LAYER)])
        self.final_norm = torch.nn.Parameter(torch.ones(C))
        self.lm_head = torch.nn.Linear(C, V, bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)
        self.inv_freq = 1.0 / (10000.0 ** (torch.arange(0, HD, 2, dtype=torch.float32) / HD))

    def rope_tables(self, T):
        t = torch.arange(T, dtype=torch.float32)
        f = torch.outer(t, self.inv_freq)  # (T, hd/2)
        return f.cos(), f.sin()

    def attention(self, layer, h, segments, cs, padded):
        # h (B, T, C); segments: list of (b, start, end) computed as separate causal blocks
        B, T, _ = h.shape
        q = layer.wq(h).view(B, T, N_HEAD, HD).transpose(1, 2)
        k = layer.wk(h).view(B, T, N_KV, HD).transpose(1, 2)
        v = layer.wv(h).view(B, T, N_KV, HD).transpose(1, 2)
        outs = []
        for (b, s, e) in segments:
            L = e - s
            cos, sin = cs[L]
            qs = rope(q[b:b + 1, :, s:e], cos, sin)
            ks = rope(k[b:b + 1, :, s:e], cos, sin)
            vs = v[b:b + 1, :, s:e]
            ks = ks.repeat_interleave(N_HEAD // N_KV, dim=1)
            vs = vs.repeat_interleave(N_HEAD // N_KV, dim=1)
            att = (qs @ ks.transpose(-1, -2)) * (1.0 / math.sqrt(HD))  # (1, h, L, L)
            mask = torch.ones(L, L, dtype=torch.bool).triu(1)
            att = att.masked_fill(mask, float("-inf")).softmax(-1)
            outs.append(att @ vs)  # (1, h, L, hd)
        if padded:
            y = torch.cat(outs, dim=0)  # (B, h, T, hd)
        else:
            y = torch.cat(outs, dim=2)  # (1, h, T, hd)
        return layer.wo(y.transpose(1, 2).reshape(B, T, N_HEAD * HD))

    def forward(self, tokens, segments, cs, padded):
        x = self.embed(tokens)
        for layer in self.layers:
            x = x + self.attention(layer, rms_norm(x, layer.attn_norm), segments, cs, padded)
            hn = rms_norm(x, layer.ffn_norm)
            x = x + layer.w_down(F.silu(layer.w_gate(hn)) * layer.w_up(hn))
        return self.lm_head(rms_norm(x, self.final_norm))


def make_batch(padded, seed=0):
    g = torch.Generator().manual_seed(seed)
    seqs = [torch.randint(0, V, (L,), generator=g) for L in LENS]
    if padded:
        T = max(LENS)
        tokens = torch.zeros(len(LENS), T, dtype=torch.long)
        targets = torch.full((len(LENS), T), -100, dtype=torch.long)
        segments = []
        for b, s in enumerate(seqs):
            L = len(s)
            tokens[b, :L] = s
            targets[b, PROMPT - 1:L - 1] = s[PROMPT:]
            segments.append((b, 0, T))  # causal over the padded row; padding has no targets
        return tokens, targets, segments
    tokens = torch.cat(seqs).unsqueeze(0)
    targets = torch.full_like(tokens, -100)
    segments, start = [], 0
    for s in seqs:
        L = len(s)
        targets[0, start + PROMPT - 1:start + L - 1] = s[PROMPT:]
        segments.append((0, start, start + L))
        start += L
    return tokens, targets, segments


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up step (default 3)")
    ap.add_argument("--padded", action="store_true", help="pad the 4 sequences to the longest instead of packing")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = Model()
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    tokens, targets, segments = make_batch(a.padded)
    cs = {}
    for (_, s, e) in segments:
        cs.setdefault(e - s, model.rope_tables(e - s))
    times = []
    for i in range(a.steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(tokens, segments, cs, a.padded)
        loss = F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if i > 0:
            times.append(dt)
    real = sum(LENS)
    print(json.dumps({"mode": "padded" if a.padded else "packed", "threads": a.threads,
                      "step_s": [round(t, 3) for t in times], "tokens_per_s": real * len(times) / sum(times),
                      "loss": float(loss), "params": sum(p.numel() for p in model.parameters()),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
