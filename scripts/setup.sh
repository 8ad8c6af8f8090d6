#!/usr/bin/env bash
# Installs the Debian packages DataRater builds and tests against, if any is missing. Idempotent.
set -euo pipefail
packages=(libopenblas-dev libzstd-dev libarchive-dev pkg-config zstd gzip tar)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
