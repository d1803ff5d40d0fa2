#!/usr/bin/env python3
"""N concurrent clients against an OpenAI-compatible server; prints aggregate completion tokens/s.

Each client sends --requests non-streamed chat completions one after another (max_tokens --tokens,
temperature 1, its own seed, ignore_eos for servers that honour it), all clients at once. The
aggregate is the sum of usage.completion_tokens over the wall time from the first request to the
last reply. Standard library only.

  parallel_clients.py --url http://127.0.0.1:8080 --clients 8 --requests 2 --tokens 128
"""
import argparse
import json
import threading
import time
import urllib.request


def post(url, body, timeout):
    req = urllib.request.Request(url + "/v1/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args()

    def body(client, k):
        return {"model": "m", "messages": [{"role": "user", "content": f"Client {client} request {k}: tell a story."}],
                "max_tokens": a.tokens, "temperature": 1.0, "seed": 1000 * client + k, "ignore_eos": True}

    post(a.url, dict(body(99, 0), max_tokens=4), a.timeout)  # warm-up
    totals = [0] * a.clients
    errors = []

    def client(i):
        try:
            for k in range(a.requests):
                totals[i] += post(a.url, body(i, k), a.timeout)["usage"]["completion_tokens"]
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"client {i}: {e}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    if errors:
        raise SystemExit("; ".join(errors))
    tokens = sum(totals)
    print(json.dumps({"clients": a.clients, "completion_tokens": tokens, "seconds": round(wall, 3),
                      "tokens_per_s": round(tokens / wall, 2)}))


if __name__ == "__main__":
    main()
