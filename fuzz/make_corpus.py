#!/usr/bin/env python3
"""Writes the seed and regression inputs of fuzz/corpus/ (committed; rerun after a format change).

Seeds are small valid files of each format; the regressions reproduce each class of hostile input
found in issue #19 and by the fuzzing campaigns (docs/reliability.md). Inputs found by libFuzzer
itself are added as files named finding-*.
"""
import json, os, struct, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ------------------------------------------------------------------ GGUF
def gguf_str(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b

T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64 = 4, 5, 6, 7, 8, 9, 10

def kv(key, t, v):
    out = gguf_str(key) + struct.pack("<I", t)
    if t == T_U32: out += struct.pack("<I", v)
    elif t == T_I32: out += struct.pack("<i", v)
    elif t == T_F32: out += struct.pack("<f", v)
    elif t == T_U64: out += struct.pack("<Q", v)
    elif t == T_STR: out += gguf_str(v)
    elif t == T_ARR:
        et, items = v
        out += struct.pack("<IQ", et, len(items))
        for x in items:
            out += gguf_str(x) if et == T_STR else struct.pack("<i" if et == T_I32 else "<f", x)
    return out

def gguf(meta, tensors, alignment=32):
    """tensors: (name, dims, ggml_type, offset, nbytes)"""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta))
    for m in meta: out += m
    for name, dims, ty, off, _ in tensors:
        out += gguf_str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ty, off)
    out += b"\0" * ((-len(out)) % alignment)
    end = max([off + nb for _, _, _, off, nb in tensors] or [0])
    return out + bytes(range(256)) * (end // 256) + bytes(end % 256)

def llama_meta(**over):
    v = dict(block_count=2, embedding_length=16, feed_forward_length=32, head_count=2, context_length=64,
             eps=1e-5, base=10000.0)
    v.update(over)
    toks = [chr(c) if 33 <= c < 127 else f"<0x{c:02X}>" for c in range(256)] + ["he", "ll", "hello"]
    return [kv("general.architecture", T_STR, "llama"),
            kv("llama.block_count", T_U32, v["block_count"]),
            kv("llama.embedding_length", T_U32, v["embedding_length"]),
            kv("llama.feed_forward_length", T_U32, v["feed_forward_length"]),
            kv("llama.attention.head_count", T_U32, v["head_count"]),
            kv("llama.context_length", T_U32, v["context_length"]),
            kv("llama.attention.layer_norm_rms_epsilon", T_F32, v["eps"]),
            kv("llama.rope.freq_base", T_F32, v["base"]),
            kv("tokenizer.ggml.model", T_STR, "gpt2"),
            kv("tokenizer.ggml.tokens", T_ARR, (T_STR, toks)),
            kv("tokenizer.ggml.merges", T_ARR, (T_STR, ["h e", "l l", "he ll"])),
            kv("tokenizer.ggml.bos_token_id", T_U32, 1)]

emb = ("token_embd.weight", [16, 259], 0, 0, 16 * 259 * 4)  # f32
put("gguf", "seed-llama-tiny.gguf", gguf(llama_meta(), [emb]))
put("gguf", "regress-block-count-2e31.gguf", gguf(llama_meta(block_count=2**31 - 1), [emb]))
put("gguf", "regress-block-count-u32-max.gguf", gguf(llama_meta(block_count=2**32 - 1), [emb]))
put("gguf", "regress-rms-eps-inf.gguf", gguf(llama_meta(eps=float("inf")), [emb]))
put("gguf", "regress-rope-base-near-zero.gguf", gguf(llama_meta(base=1e-30), [emb]))
put("gguf", "regress-tensors-overlap.gguf",
    gguf(llama_meta(), [emb, ("output.weight", [16, 259], 0, 64, 16 * 259 * 4)]))
put("gguf", "regress-array-count-huge.gguf",
    b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gguf_str("tokenizer.ggml.tokens") + struct.pack("<IIQ", T_ARR, T_STR, 2**62))

# ------------------------------------------------------------------ safetensors + config.json
def safetensors(header, data):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data

st_ok = safetensors({"__metadata__": {"format": "pt"},
                     "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                     "b": {"dtype": "BF16", "shape": [4], "data_offsets": [16, 24]}}, bytes(24))
put("safetensors", "seed-two-tensors", b"\0" + st_ok)
put("safetensors", "regress-overlap", b"\0" + safetensors(
    {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
     "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, bytes(16)))
put("safetensors", "regress-shape-overflow", b"\0" + safetensors(
    {"a": {"dtype": "F32", "shape": [2**32, 2**32, 4], "data_offsets": [0, 0]}}, b""))
put("safetensors", "regress-deep-header", b"\0" + struct.pack("<Q", 20000) + b"[" * 20000)

cfg = json.load(open(os.path.join(REPO, "tests/fixtures/golden/llama3-tiny/config.json")))
put("safetensors", "seed-config-llama3-tiny", b"\1" + json.dumps(cfg).encode())
put("safetensors", "seed-config-glm4-tiny",
    b"\1" + open(os.path.join(REPO, "tests/fixtures/golden/glm4-tiny/config.json"), "rb").read())
def cfg_with(**kw):
    c = dict(cfg); c.update(kw); return b"\1" + json.dumps(c).encode()
put("safetensors", "regress-config-rope-factor-negative",
    cfg_with(rope_scaling={"rope_type": "llama3", "factor": -8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                           "original_max_position_embeddings": 8192}))
put("safetensors", "regress-config-rope-theta-near-zero", cfg_with(rope_theta=1e-30))
put("safetensors", "regress-config-eps-1e400", b"\1" + json.dumps(cfg).replace('"rms_norm_eps": ', '"rms_norm_eps": 1e400, "x": ').encode())
put("safetensors", "regress-config-layers-2e31", cfg_with(num_hidden_layers=2**31 - 1))
put("safetensors", "regress-config-vocab-wraps", cfg_with(vocab_size=2**32 + 16))
put("safetensors", "regress-config-wrong-type", cfg_with(rope_scaling="yes", hidden_size="16"))

# ------------------------------------------------------------------ tokenizers
put("tokenizer", "seed-hf-glm4-tiny.json",
    b"\0" + open(os.path.join(REPO, "tests/fixtures/golden/glm4-tiny/tokenizer.json"), "rb").read())
cl = open(os.path.join(REPO, "../shared/data/vocab/cl100k_base.tiktoken"), "rb").read().split(b"\n")[:600]
put("tokenizer", "seed-tiktoken-600", b"\2" + b"\n".join(cl) + b"\n")
put("tokenizer", "seed-tokenizer-config",
    b"\3" + open(os.path.join(REPO, "tests/fixtures/data/llama3-cl100k/tokenizer_config.json"), "rb").read())
put("tokenizer", "regress-hf-deep", b"\0" + b'{"model":' + b"[" * 20000)
put("tokenizer", "regress-tiktoken-bad-rank", b"\2IQ== 99999999999999999999\n")
put("tokenizer", "seed-spm-garbage", b"\1\x0a\x05hello\x10\x01")

# ------------------------------------------------------------------ pack shards + manifests
def shard(L, rows, bounds, tokens=None, labels=None, weights=None):
    """rows: [(bounds_begin, n_bounds, n_seqs)]"""
    n = len(rows)
    tokens = tokens if tokens is not None else [(i % 7) + 1 for i in range(n * L)]
    labels = labels if labels is not None else [1] * (n * L)
    weights = weights if weights is not None else [1.0] * (n * L)
    a64 = lambda x: (x + 63) // 64 * 64
    t_off = 128
    w_off = a64(t_off + n * L * 4)
    l_off = a64(w_off + n * L * 4)
    r_off = a64(l_off + n * L)
    b_off = a64(r_off + n * 16)
    size = b_off + len(bounds) * 4
    out = bytearray(size)
    out[0:8] = b"LWPACK\r\n"
    struct.pack_into("<IIQQQQQQQQ", out, 8, 1, L, n, len(bounds), t_off, w_off, l_off, r_off, b_off, size)
    struct.pack_into(f"<{n*L}I", out, t_off, *tokens)
    struct.pack_into(f"<{n*L}f", out, w_off, *weights)
    struct.pack_into(f"<{n*L}B", out, l_off, *labels)
    for i, (bb, nb, ns) in enumerate(rows):
        struct.pack_into("<QII", out, r_off + 16 * i, bb, nb, ns)
    struct.pack_into(f"<{len(bounds)}I", out, b_off, *bounds)
    return bytes(out)

ok = shard(8, [(0, 3, 2), (3, 3, 2)], [0, 3, 8, 0, 5, 8])
put("pack", "seed-shard-two-rows", b"\0" + ok)
put("pack", "regress-nseqs-exceeds-bounds", b"\0" + shard(8, [(0, 2, 5)], [0, 8]))
put("pack", "regress-cu-not-increasing", b"\0" + shard(8, [(0, 4, 3)], [0, 5, 3, 8]))
put("pack", "regress-cu-exceeds-row", b"\0" + shard(8, [(0, 3, 2)], [0, 12, 8]))
put("pack", "regress-cu-ends-short", b"\0" + shard(8, [(0, 3, 2)], [0, 3, 6]))
put("pack", "regress-bounds-past-section", b"\0" + shard(8, [(4, 3, 2)], [0, 3, 8]))
put("pack", "regress-bounds-begin-wraps", b"\0" + shard(8, [(2**64 - 1, 3, 2)], [0, 3, 8]))
put("pack", "regress-token-is-float", b"\0" + shard(8, [(0, 2, 1)], [0, 8],
    tokens=[struct.unpack("<I", struct.pack("<f", 0.5))[0]] * 8))
put("pack", "regress-weight-nan", b"\0" + shard(8, [(0, 2, 1)], [0, 8], weights=[float("nan")] * 8))
manifest = {"kind": "longwriter-pack", "version": 1, "max_len": 8, "chat_format": "chatml", "strategy": "bfd",
            "weighting": "longalign", "overflow": "skip", "seed": 0,
            "tokenizer": {"fingerprint": "x", "kind": "bpe", "vocab_size": 256, "bos_id": 1, "eos_id": 2, "pad_id": 0},
            "counts": {"conversations": 4, "rows": 2, "sequences": 4, "real_tokens": 16, "labelled_tokens": 16,
                       "padding_tokens": 0},
            "skipped": {}, "seqs_per_row": {"2": 2}, "shards": [{"file": "shard-00000.bin", "rows": 2}]}
put("pack", "seed-manifest", b"\1" + json.dumps(manifest).encode())
def man(**kw):
    m = json.loads(json.dumps(manifest)); m.update(kw); return b"\1" + json.dumps(m).encode()
put("pack", "regress-manifest-overflow-type", man(overflow=5))
put("pack", "regress-manifest-skipped-type", man(skipped={"too_long": "many"}))
put("pack", "regress-manifest-seqs-per-row-key", man(seqs_per_row={"x": 1}))
put("pack", "regress-manifest-rows-huge", man(shards=[{"file": "shard-00000.bin", "rows": 2**62}]))
put("pack", "regress-manifest-seed-negative", man(seed=-1))
put("pack", "regress-manifest-1e400", b"\1" + json.dumps(manifest).replace('"seed": 0', '"seed": 1e400').encode())
put("pack", "regress-manifest-deep", b"\1" + b'{"kind":' + b"[" * 20000)

# ------------------------------------------------------------------ JSONL records
pred = open(os.path.join(REPO, "tests/fixtures/bench/parity_pred.jsonl"), "rb").read().split(b"\n")[:3]
judge = open(os.path.join(REPO, "tests/fixtures/bench/parity_judge.jsonl"), "rb").read().split(b"\n")[:3]
put("jsonl", "seed-pred.jsonl", b"\n".join(pred) + b"\n")
put("jsonl", "seed-judge.jsonl", b"\n".join(judge) + b"\n")
put("jsonl", "seed-sft.jsonl", open(os.path.join(REPO, "tests/fixtures/data/sft_small.jsonl"), "rb").read())
put("jsonl", "seed-prompts.jsonl",
    b'{"prompt": "Write a 100-word post about cacti.", "type": "Community Forum", "length": 100}\n')
put("jsonl", "seed-write.jsonl", json.dumps({"prompt": "Write 20 words", "response": "word " * 20}) + "\n")
put("jsonl", "seed-dpo-ids.jsonl",
    json.dumps({"prompt_ids": [1, 2, 3], "chosen_ids": [4, 5], "rejected_ids": [6]}) + "\n")
put("jsonl", "regress-deep-extra-field.jsonl",
    b'{"prompt": "x", "length": 10, "response": "y", "extra": ' + b"[" * 300000 + b"]" * 300000 + b"}\n")
put("jsonl", "regress-number-1e400.jsonl", b'{"prompt": "x", "length": 1e400, "response": "y", "type": "a"}\n')
put("jsonl", "regress-length-wrong-type.jsonl", b'{"prompt": "x", "length": "ten", "response": "y"}\n')
put("jsonl", "regress-scores-wrong-type.jsonl", b'{"prompt": "x", "length": 10, "response": "y", "scores": [1, 2]}\n')
put("jsonl", "regress-messages-null-content.jsonl", b'{"messages": [{"role": "user", "content": null}]}\n')
put("jsonl", "regress-huge-int.jsonl", b'{"prompt": "x", "length": 99999999999999999999999, "response": "y"}\n')

# ------------------------------------------------------------------ HTTP requests
body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4})
def post(cl, b=body, extra=""):
    return f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n{extra}Content-Length: {cl}\r\n\r\n{b}"
put("http", "seed-health", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
put("http", "seed-chat", post(len(body)))
put("http", "seed-chat-expect", post(len(body), extra="Expect: 100-continue\r\n"))
put("http", "regress-content-length-negative", post("-1"))
put("http", "regress-content-length-huge", post("99999999999999999999999"))
put("http", "regress-content-length-2e64", post("18446744073709551616"))
put("http", "regress-content-length-conflict", post(len(body), extra="Content-Length: 3\r\n"))
put("http", "regress-chunked", "POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
put("http", "regress-no-length", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n")
put("http", "regress-content-null",
    post(0, b="").replace("Content-Length: 0\r\n\r\n", "") + "Content-Length: 0\r\n\r\n"
    + json.dumps({"messages": [{"role": "user", "content": None}]}))
put("http", "regress-content-missing", json.dumps({"messages": [{"role": "user"}]}))
put("http", "regress-deep-body", "[" * 100000)
put("http", "regress-max-tokens-wraps", json.dumps({"messages": [{"role": "user", "content": "x"}],
                                                     "max_tokens": 2**64 - 16}))
put("http", "regress-max-tokens-huge", json.dumps({"messages": [{"role": "user", "content": "x"}],
                                                    "max_tokens": 2**70}))
print("wrote", sum(len(f) for _, _, f in os.walk(ROOT)), "corpus files under", ROOT)
