#!/usr/bin/env bash
# Installs longwriter's build and test dependencies (Debian 12 packages only). Idempotent:
# packages already present are skipped, so a second run costs only the dpkg query.
set -euo pipefail

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
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
