#!/usr/bin/env bash
# Renders an HTML report (the demo's DIR/report.html, or `bench score`'s) in headless Chromium at a
# given width and saves a full-page screenshot, to check how the page reads in a real browser.
# Installs Debian's chromium (and a CJK font) when missing (needs root and the Debian archive). Not part of the
# test suite: the suite checks the page's structure (tests/demo/test_report.cpp, check_html).
#
# Usage: scripts/check_report_browser.sh REPORT.html [OUT.png] [--width PX] [--height PX]
#   default OUT: REPORT.png beside the report; width 1200, height 2400 (the page is cut below it)
set -euo pipefail
WIDTH=1200
HEIGHT=2400
ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --width) WIDTH=$2; shift 2 ;;
    --height) HEIGHT=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
if [[ ${#ARGS[@]} -lt 1 ]]; then
  echo "usage: $0 REPORT.html [OUT.png] [--width PX] [--height PX]" >&2
  exit 2
fi
REPORT=$(realpath "${ARGS[0]}")
OUT=${ARGS[1]:-${REPORT%.html}.png}
[[ -f $REPORT ]] || { echo "$0: no such file: $REPORT" >&2; exit 2; }
SUDO=; [[ $(id -u) -ne 0 ]] && SUDO=sudo
if ! command -v chromium >/dev/null; then
  $SUDO apt-get install -y --no-install-recommends chromium >/dev/null
fi
# A CJK font: WritingBench queries and criteria are often Chinese (without one they render as boxes).
if command -v fc-list >/dev/null && [[ -z $(fc-list :lang=zh) ]]; then
  $SUDO apt-get install -y --no-install-recommends fonts-wqy-zenhei >/dev/null || true
fi
# --no-sandbox: containers and root shells have no user namespaces for Chromium's sandbox; the page
# is a local file written by longwriter.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$WIDTH,$HEIGHT" \
  --screenshot="$(realpath -m "$OUT")" "file://$REPORT" 2>/dev/null
echo "$OUT (${WIDTH}x${HEIGHT})"
