# Sourced by the scripts that check a running `longwriter serve` (check_openai_sdk.sh,
# check_serve_security.sh): reads their common arguments, makes a work folder removed on exit
# together with the server, and makes a random model when none is given.
#
#   serve_check_setup "$@"               # --build DIR, --model FILE; sets ROOT, BUILD, MODEL, WORK, SERVER
#   serve_check_model SHAPE DTYPE NAME [STD]  # MODEL=$WORK/NAME made by lw_make_model, unless --model was given
#   serve_check_wait_port                # after starting serve --port 0 > $WORK/serve.out 2> $WORK/serve.log &
#                                        # and SERVER=$!: sets PORT from its start line
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
MODEL=
SERVER=

serve_check_setup() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --build) BUILD=$(cd "$2" && pwd); shift ;;
      --model) MODEL=$2; shift ;;
      *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
  done
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/lw-check-XXXXXX")
  trap '[[ -n $SERVER ]] && kill $SERVER 2> /dev/null; rm -rf "$WORK"' EXIT
}

serve_check_model() {
  [[ -n $MODEL ]] && return 0
  MODEL=$WORK/$3
  "$BUILD/bench/lw_make_model" --shape "$1" --dtype "$2" ${4:+--std "$4"} --out "$MODEL" > /dev/null 2>&1
}

serve_check_wait_port() {
  PORT=
  for _ in $(seq 1 300); do
    PORT=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/v1.*|\1|p' "$WORK/serve.out" | head -1)
    [[ -n $PORT ]] && return 0
    kill -0 "$SERVER" 2> /dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "serve did not start" >&2
  cat "$WORK/serve.log" >&2
  exit 1
}
