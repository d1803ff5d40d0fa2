#!/usr/bin/env bash
# A clone that stands alone: clones the committed HEAD into an empty folder (no ../shared beside it) and
# runs the README's test command there, as a new user would. Checks that
#   1. LW_REQUIRE_DATA=1 ./scripts/test.sh fails at once, naming the missing data files;
#   2. ./scripts/test.sh exits 0, the needs-data tests reported as skipped with the get-data hint.
# Usage: scripts/check_standalone_clone.sh [WORKDIR] [ctest args...]
#   WORKDIR (default: a new folder under /tmp) gets WORKDIR/clone; its parent must have no shared/.
#   ctest args (e.g. -R 'Tokenizer|GetData') limit step 2 to part of the suite for a quicker look;
#   LW_SKIP_SANITIZE=1 leaves the sanitizer subset out of step 2.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/lw-standalone.XXXXXX)}
shift || true
[ ! -e "$work/shared" ] || { echo "check: $work/shared exists; choose a folder without it" >&2; exit 2; }
rm -rf "$work/clone"
git clone -q "$src" "$work/clone"
cd "$work/clone"
unset LONGWRITER_DATA

echo "== 1. LW_REQUIRE_DATA=1 without the data must fail naming the files"
if out=$(LW_REQUIRE_DATA=1 ./scripts/test.sh 2>&1); then
  echo "check: FAILED: LW_REQUIRE_DATA=1 passed without the data" >&2; exit 1
fi
echo "$out" | tail -3
echo "$out" | grep -q "vocab/cl100k_base.tiktoken" || { echo "check: FAILED: the missing files are not named" >&2; exit 1; }

echo "== 2. ./scripts/test.sh $* without the data must pass, skipping the needs-data tests"
log="$work/test.log"
set +e
./scripts/test.sh "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || { echo "check: FAILED: scripts/test.sh exited $rc (log: $log)" >&2; exit 1; }
grep -q "needs-data were skipped" "$log" || { echo "check: FAILED: no skip hint in $log" >&2; exit 1; }
skipped=$(grep -c "(Skipped)" "$log" || true)
echo "check: OK: the clone's test suite passed without the data; $skipped needs-data tests skipped (log: $log)"
