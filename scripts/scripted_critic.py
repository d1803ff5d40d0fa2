#!/usr/bin/env python3
"""A scripted WritingBench critic: an OpenAI-compatible /v1/chat/completions server on 127.0.0.1
that answers every request with {"score": N, "reason": "..."} in the format `bench writingbench
judge` reads. N (3..9) is derived from a hash of the prompt, so a run is repeatable; it judges
nothing. For end-to-end runs where the critic must answer in JSON and a real critic model is not
at hand (scripts/writingbench_e2e.sh). Prints its port on stdout, serves until killed.

Usage: scripts/scripted_critic.py [PORT]   (0 or none: a free port)
"""
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def reply_text(prompt: str) -> str:
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    score = 3 + digest[0] % 7
    return json.dumps({"score": score, "reason": f"scripted critic: score {score} from the prompt's hash"})


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        text = reply_text(prompt)
        usage = {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(text) // 4,
                 "total_tokens": (len(prompt) + len(text)) // 4}
        if body.get("stream"):
            chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant", "content": text},
                                    "finish_reason": None}]},
                      {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage}]
            out = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
        else:
            out = json.dumps({"id": "scripted", "object": "chat.completion", "model": "scripted-critic",
                              "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                           "finish_reason": "stop"}], "usage": usage})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        data = out.encode("utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
