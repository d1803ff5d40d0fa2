#!/usr/bin/env bash
# Fetches the third-party evaluation data that longwriter uses but does not ship, checks every file
# against the committed SHA-256 list (data/third-party.sha256) and lays it out as DIR/data/...
#
#   scripts/get-data.sh [DIR]          fetch what is missing or wrong into DIR/data (without DIR: the
#                                      folder $LONGWRITER_DATA names, else ../shared/data beside the
#                                      checkout, the default LW_SHARED_DIR, so a fresh build and the tests
#                                      find it without any setting)
#   scripts/get-data.sh --check [DIR]  only verify; exit 1 naming each missing or damaged file
#
# The files and where they come from:
#   longbench/*.jsonl, reference-prompts/judge.txt   LongWriter's evaluation/ folder (THUDM/LongWriter)
#   reference-prompts/plan.txt, write.txt            LongWriter's agentwrite/prompts/ folder
#   vocab/ggml-vocab-*.gguf{,.inp,.out}              llama.cpp's models/ folder (vocab-only GGUF files
#                                                    and their tokenizer test vectors)
#   vocab/cl100k_base.tiktoken                       OpenAI's published cl100k_base BPE ranks
# Other folders: LONGWRITER_DATA=DIR/data for the commands and tests, or configure with
# -DLW_SHARED_DIR=DIR. Settings (environment): LW_DATA_BASE_URL=URL fetches every file from
# URL/<path> instead (a mirror, or file:///some/folder); LW_DATA_MANIFEST=FILE uses another checksum
# list; LONGWRITER_REF / LLAMA_CPP_REF choose the upstream revisions.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

check_only=0
if [ "${1:-}" = "--check" ]; then check_only=1; shift; fi
case "${1:-}" in
  -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
if [ $# -ge 1 ]; then
  data="$1/data"
elif [ -n "${LONGWRITER_DATA:-}" ]; then  # the data folder itself, or a folder holding data/
  if [ -d "$LONGWRITER_DATA/data" ]; then data="$LONGWRITER_DATA/data"; else data="$LONGWRITER_DATA"; fi
else
  data="$root/../shared/data"
fi
manifest=${LW_DATA_MANIFEST:-"$root/data/third-party.sha256"}
[ -f "$manifest" ] || { echo "get-data: no checksum list at $manifest" >&2; exit 2; }

LONGWRITER_REF=${LONGWRITER_REF:-2814d183ea2f2d90f8a0620b732c1b342f38d7a8}
LLAMA_CPP_REF=${LLAMA_CPP_REF:-master}
upstream() {  # the public location of one file, by its path in the data folder
  local gh=https://raw.githubusercontent.com
  case "$1" in
    longbench/*) echo "$gh/THUDM/LongWriter/$LONGWRITER_REF/evaluation/${1#longbench/}" ;;
    reference-prompts/judge.txt) echo "$gh/THUDM/LongWriter/$LONGWRITER_REF/evaluation/judge.txt" ;;
    reference-prompts/*) echo "$gh/THUDM/LongWriter/$LONGWRITER_REF/agentwrite/prompts/${1#reference-prompts/}" ;;
    vocab/cl100k_base.tiktoken) echo "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken" ;;
    vocab/*) echo "$gh/ggml-org/llama.cpp/$LLAMA_CPP_REF/models/${1#vocab/}" ;;
    *) return 1 ;;
  esac
}
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

ok=0 failed=()
while read -r want rel; do
  [ -n "$want" ] && [ "${want:0:1}" != "#" ] || continue
  dest="$data/$rel"
  if [ -f "$dest" ]; then
    got=$(sha_of "$dest")
    if [ "$got" = "$want" ]; then ok=$((ok + 1)); continue; fi
    failed+=("$rel: checksum mismatch (expected $want, found $got)")
    [ $check_only -eq 1 ] && continue
  elif [ $check_only -eq 1 ]; then
    failed+=("$rel: missing"); continue
  fi
  # Fetch into a temp file beside the destination; only a verified file is renamed into place.
  if [ -n "${LW_DATA_BASE_URL:-}" ]; then url="${LW_DATA_BASE_URL%/}/$rel"; else url=$(upstream "$rel") || {
    failed+=("$rel: no upstream location known"); continue; }; fi
  mkdir -p "$(dirname "$dest")" 2>/dev/null || { failed+=("$rel: cannot create $(dirname "$dest")"); continue; }
  tmp="$dest.tmp.$$"
  if ! curl -fsSL --retry 2 --connect-timeout 15 -o "$tmp" "$url" 2>"$tmp.err"; then
    failed+=("$rel: download failed from $url ($(tr '\n' ' ' <"$tmp.err" | sed 's/ *$//'))")
    rm -f "$tmp" "$tmp.err"; continue
  fi
  rm -f "$tmp.err"
  got=$(sha_of "$tmp")
  if [ "$got" != "$want" ]; then
    failed+=("$rel: downloaded file from $url has SHA-256 $got, expected $want (not installed)")
    rm -f "$tmp"; continue
  fi
  mv -f "$tmp" "$dest"
  # A mismatched file that was replaced is no longer a failure.
  if [ ${#failed[@]} -gt 0 ] && [[ "${failed[-1]}" == "$rel: checksum mismatch"* ]]; then unset 'failed[-1]'; fi
  echo "get-data: $rel ok ($url)"
  ok=$((ok + 1))
done <"$manifest"

total=$((ok + ${#failed[@]}))
if [ ${#failed[@]} -eq 0 ]; then
  echo "get-data: all $ok files present and verified in $data"
  exit 0
fi
echo "get-data: ${#failed[@]} of $total files are missing or damaged in $data:" >&2
printf '  %s\n' "${failed[@]}" >&2
if [ $check_only -eq 1 ]; then
  echo "get-data: run scripts/get-data.sh${1:+ $1} to fetch them (the tests that need them are labelled needs-data)" >&2
else
  cat >&2 <<MSG
get-data: without network access, download the files on another machine (the locations are in
  scripts/get-data.sh --help) and put each at $data/<path>; the expected SHA-256 of each is in
  $manifest. Then run this script again: it verifies them and fetches nothing that is already right.
MSG
fi
exit 1
