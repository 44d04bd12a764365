#!/usr/bin/env bash
# Makes PostgreSQL server binaries available to the test suite, which starts
# its own throwaway cluster from them. Installs Debian's package where none
# is present; does nothing when SAMVIRKE_POSTGRES_URL names a server to use.
set -euo pipefail

if [ -n "${SAMVIRKE_POSTGRES_URL:-}" ]; then
  exit 0
fi
if compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || command -v postgres >/dev/null; then
  exit 0
fi

echo "PostgreSQL server not found; installing Debian's postgresql package" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null; then
  sudo="sudo"
else
  echo "Run as root, or install postgresql, or set SAMVIRKE_POSTGRES_URL" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends postgresql
