#!/usr/bin/env bash
# Installs axe-core (npm) for the accessibility checks of the browser tests.
# Idempotent: does nothing when node_modules matches package-lock.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
STAMP="node_modules/.axe-installed"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(sha256sum package-lock.json | cut -d' ' -f1)" \
      && -f node_modules/axe-core/axe.min.js ]]; then
  exit 0
fi
command -v npm >/dev/null || { echo "tests/browser/axe/install.sh: npm not found" >&2; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
  echo "tests/browser/axe/install.sh: npm ci failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
sha256sum package-lock.json | cut -d' ' -f1 >"$STAMP"
