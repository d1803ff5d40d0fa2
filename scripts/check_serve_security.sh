#!/usr/bin/env bash
# Shows with curl what `longwriter serve` does about who may use it (docs/serve.md, "Exposing serve"):
# starts `serve` on a tiny random model (made with lw_make_model, or --model FILE) on 127.0.0.1 with a
# key file of two keys and one CORS origin, then prints each check and its HTTP status:
# 401 without a key or with a wrong one (OpenAI's error body), 200 with each key, /health open,
# 403 for a foreign Host (DNS rebinding), 415 for a text/plain POST, the CORS preflight's headers
# for the allowed origin and none for another, and /metrics. Exit status 0 when every status is
# the expected one. Needs only curl; binds 127.0.0.1 on a free port, removes what it made.
#
# Usage: scripts/check_serve_security.sh [--build DIR] [--model FILE.gguf]
set -euo pipefail
source "$(dirname "$0")/serve_check_common.sh"
serve_check_setup "$@"
serve_check_model tiny-gpt2 f32 tiny.gguf 0.5
KEY1=sk-check-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
KEY2=sk-check-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '# two keys for the check\n%s\n\n%s\n' "$KEY1" "$KEY2" > "$WORK/keys.txt"
chmod 600 "$WORK/keys.txt"
ORIGIN=http://localhost:3000

"$BUILD/longwriter" --log-level info serve --model "$MODEL" --format llama3-longwriter --port 0 --threads 1 --parallel 2 \
  --api-key-file "$WORK/keys.txt" --cors-origin "$ORIGIN" > "$WORK/serve.out" 2> "$WORK/serve.log" &
SERVER=$!
serve_check_wait_port
URL=http://127.0.0.1:$PORT
echo "serve: $(cat "$WORK/serve.out")"
BODY='{"messages":[{"role":"user","content":"Hello"}],"max_tokens":4,"temperature":0}'
FAILED=0

# check WHAT EXPECTED CURL-ARGS...: prints the status and the body's first 160 characters.
check() {
  local what=$1 want=$2
  shift 2
  local status
  status=$(curl -s -o "$WORK/body" -w '%{http_code}' "$@")
  printf '%-52s %s (want %s)  %s\n' "$what" "$status" "$want" "$(head -c 160 "$WORK/body")"
  [[ $status == "$want" ]] || FAILED=1
}

check "POST without a key" 401 "$URL/v1/chat/completions" -H 'Content-Type: application/json' -d "$BODY"
check "POST with a wrong key" 401 "$URL/v1/chat/completions" -H "Authorization: Bearer ${KEY1}x" \
  -H 'Content-Type: application/json' -d "$BODY"
check "POST with key 1" 200 "$URL/v1/chat/completions" -H "Authorization: Bearer $KEY1" \
  -H 'Content-Type: application/json' -d "$BODY"
check "POST with key 2" 200 "$URL/v1/chat/completions" -H "Authorization: Bearer $KEY2" \
  -H 'Content-Type: application/json' -d "$BODY"
check "GET /health without a key" 200 "$URL/health"
check "GET /v1/models with Host: attacker.example" 403 "$URL/v1/models" -H 'Host: attacker.example' \
  -H "Authorization: Bearer $KEY1"
check "POST text/plain (a cross-origin form)" 415 "$URL/v1/chat/completions" -H "Authorization: Bearer $KEY1" \
  -H 'Content-Type: text/plain' -d "$BODY"
check "GET /metrics without a key" 401 "$URL/metrics"

echo
echo "CORS preflight from $ORIGIN:"
curl -s -D - -o /dev/null -X OPTIONS "$URL/v1/chat/completions" -H "Origin: $ORIGIN" \
  -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: authorization, content-type' |
  tr -d '\r' | tee "$WORK/preflight" | grep -E '^(HTTP|Access-Control)'
grep -q "^Access-Control-Allow-Origin: $ORIGIN\$" "$WORK/preflight" || FAILED=1
echo "CORS preflight from http://attacker.example (no Access-Control header expected):"
curl -s -D - -o /dev/null -X OPTIONS "$URL/v1/chat/completions" -H 'Origin: http://attacker.example' \
  -H 'Access-Control-Request-Method: POST' | tr -d '\r' | tee "$WORK/preflight2" | grep -E '^(HTTP|Access-Control)'
! grep -q '^Access-Control' "$WORK/preflight2" || FAILED=1

echo
echo "GET /metrics with key 1 (samples):"
curl -s "$URL/metrics" -H "Authorization: Bearer $KEY1" | grep -v '^#'

kill $SERVER 2> /dev/null && wait $SERVER 2> /dev/null || true
SERVER=
if grep -qF -e "$KEY1" -e "$KEY2" "$WORK/serve.out" "$WORK/serve.log"; then
  echo "a key appears in the server's output" >&2
  FAILED=1
else
  echo
  echo "neither key appears in the server's output ($(wc -l < "$WORK/serve.log") log lines)"
fi
[[ $FAILED == 0 ]] && echo "all checks passed" || { echo "some checks FAILED" >&2; exit 1; }
