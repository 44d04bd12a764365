#!/usr/bin/env bash
# Makes a Chromium available to the browser tests (driven headless by Playwright):
# Debian's chromium package where none is present; nothing when SAMVIRKE_CHROMIUM
# names a browser to use. Playwright's own browser downloads are never used.
set -euo pipefail

if [ -n "${SAMVIRKE_CHROMIUM:-}" ]; then
  exit 0
fi
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  exit 0
fi

echo "Chromium not found; installing Debian's chromium package" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null; then
  sudo="sudo"
else
  echo "Run as root, or install chromium, or set SAMVIRKE_CHROMIUM to a Chromium binary" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
