#!/usr/bin/env bash
# Installs the Fedify interop peer's npm dependencies (incl. a local Node 22).
# Idempotent: does nothing when node_modules matches package-lock.json and the
# local Node 22 binary runs.  Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

NODE22="node_modules/node/bin/node"
STAMP="node_modules/.fedify-peer-installed"

ok() {
  [[ -x "$NODE22" ]] || return 1
  [[ -f "$STAMP" ]] || return 1
  [[ "$(cat "$STAMP")" == "$(sha256sum package-lock.json | cut -d' ' -f1)" ]] || return 1
  "$NODE22" -e 'if (+process.versions.node.split(".")[0] < 22) process.exit(1)' 2>/dev/null || return 1
  [[ -f node_modules/@fedify/fedify/package.json ]] || return 1
}

if ok; then
  exit 0
fi

command -v npm >/dev/null || { echo "install.sh: npm not found" >&2; exit 1; }

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if [[ -f package-lock.json ]]; then
  cmd=(npm ci --no-audit --no-fund --loglevel=error)
else
  cmd=(npm install --no-audit --no-fund --loglevel=error)
fi
if ! "${cmd[@]}" >"$log" 2>&1; then
  echo "install.sh: ${cmd[*]} failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi

# The `node` package fetches its platform binary in a preinstall script.
if ! "$NODE22" -e 'if (+process.versions.node.split(".")[0] < 22) process.exit(1)' 2>/dev/null; then
  echo "install.sh: $NODE22 missing or not Node >= 22 (did npm skip the 'node' package's install script?)" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
sha256sum package-lock.json | cut -d' ' -f1 >"$STAMP"
