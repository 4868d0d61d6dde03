#!/usr/bin/env bash
# Installs the bovine-herd interop peer into its own venv (tests/interop/bovine_peer/.venv).
# bovine-herd 0.5 requires quart<0.20 and fediverse-cases quart>=0.20, so they cannot share one.
# Idempotent: a venv whose installed set matches requirements.txt is left alone.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
if [ -x .venv/bin/python ] && [ -f .venv/.installed ] && cmp -s requirements.txt .venv/.installed; then
  exit 0
fi
rm -rf .venv
"$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
cp requirements.txt .venv/.installed
