#!/usr/bin/env bash
# Installs longwriter's build and test dependencies (Debian 12 packages only). Idempotent:
# packages already present are skipped, so a second run costs only the dpkg query.
#   scripts/setup.sh                  the native build's packages
#   scripts/setup.sh --arch aarch64   also the aarch64 cross build of the engine subset
#                                     (scripts/test.sh --arch aarch64): Debian's cross compiler,
#                                     qemu-user and the :arm64 libraries it links (multiarch)
set -euo pipefail

# ---- --arch aarch64: the cross build (before the native packages, which it needs too) ----
# It links only the engine's layers (LW_ENGINE_SUBSET): fmt, PCRE2, OpenBLAS, GoogleTest;
# nlohmann-json's headers (Architecture: all) come with the native packages. libsentencepiece is
# left out: its Debian package cannot be installed for two architectures at once.
if [ "${1:-}" = "--arch" ]; then
  if [ "${2:-}" != "aarch64" ]; then
    echo "setup: --arch takes aarch64 (got '${2:-}')" >&2
    exit 2
  fi
  ARM_PKGS=(
    g++-aarch64-linux-gnu qemu-user
    libfmt-dev:arm64 libpcre2-dev:arm64 libopenblas-openmp-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64
  )
  arm_missing=()
  for p in "${ARM_PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then arm_missing+=("$p"); fi
  done
  if [ ${#arm_missing[@]} -eq 0 ]; then
    echo "setup: all ${#ARM_PKGS[@]} aarch64 packages already installed"
  else
    ARM_SUDO=""
    if [ "$(id -u)" -ne 0 ]; then ARM_SUDO="sudo"; fi
    echo "setup: installing ${arm_missing[*]}"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then $ARM_SUDO dpkg --add-architecture arm64; fi
    export DEBIAN_FRONTEND=noninteractive
    $ARM_SUDO apt-get update -qq
    # --no-remove: a :arm64 library must never replace the native one (apt fails instead)
    $ARM_SUDO apt-get install -y --no-install-recommends --no-remove "${arm_missing[@]}"
  fi
fi

PKGS=(
  build-essential g++ cmake ninja-build pkg-config git ca-certificates
  libcurl4-openssl-dev      # HTTP client
  libcpp-httplib-dev        # HTTP server (serve, test servers)
  nlohmann-json3-dev        # JSON
  libcli11-dev              # command line
  libfmt-dev                # formatting
  libsqlite3-dev            # durable checkpoints (AgentWrite)
  libpcre2-dev              # tokenizer pre-tokenizer regexes
  libopenblas-openmp-dev    # BLAS (OpenMP threading)
  libsentencepiece-dev      # SentencePiece .model files
  libgtest-dev libgmock-dev # tests
  libbenchmark-dev          # benchmarks
  dpkg-dev                  # the Debian package (cpack -G DEB: dpkg-shlibdeps)
  curl                      # scripts/get-data.sh (the third-party evaluation data)
  nodejs                    # the writing desk's browser test (tests/browser; chromium below)
)
# npm comes with nodejs from some sources (NodeSource); Debian packages it apart.
if ! command -v npm >/dev/null 2>&1; then PKGS+=(npm); fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages already installed"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The browser test's driver (puppeteer-core) and accessibility checker (axe-core), at the versions
# pinned in tests/browser/package-lock.json, into the git-ignored .node/browser of this checkout.
# Without the npm registry this warns and goes on; the test then reports itself skipped.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BROWSER_DIR=$ROOT/.node/browser
if cmp -s "$ROOT/tests/browser/package-lock.json" "$BROWSER_DIR/package-lock.json" &&
   [ -d "$BROWSER_DIR/node_modules/puppeteer-core" ] && [ -d "$BROWSER_DIR/node_modules/axe-core" ]; then
  echo "setup: browser test modules already installed ($BROWSER_DIR)"
else
  mkdir -p "$BROWSER_DIR"
  cp "$ROOT/tests/browser/package.json" "$ROOT/tests/browser/package-lock.json" "$BROWSER_DIR/"
  # No retries and a short timeout: without the registry this costs seconds, not minutes.
  if (cd "$BROWSER_DIR" && timeout 120 npm ci --no-audit --no-fund --loglevel=error --fetch-retries=0 \
        --fetch-timeout=20000); then
    echo "setup: browser test modules installed ($BROWSER_DIR)"
  else
    rm -f "$BROWSER_DIR/package-lock.json"  # so the next run tries again
    echo "setup: WARNING: npm ci failed (no access to the npm registry?); the browser test (tests/browser) will be" \
         "skipped until scripts/setup.sh runs with access to https://registry.npmjs.org" >&2
  fi
fi

# Chromium only where the driver is there to run it (it is a large install).
if [ -d "$BROWSER_DIR/node_modules/puppeteer-core" ] &&
   ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing chromium (the browser test)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends chromium
fi
