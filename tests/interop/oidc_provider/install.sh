#!/usr/bin/env bash
# Installs the OpenID test provider's npm dependencies (oidc-provider and a local Node 22, which
# oidc-provider 9 supports; Debian's Node 20 only gets an "unsupported runtime" warning).
# Idempotent: does nothing when node_modules matches package-lock.json. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

NODE22="node_modules/node/bin/node"
STAMP="node_modules/.oidc-provider-installed"

ok() {
  [[ -x "$NODE22" && -f "$STAMP" && -f node_modules/oidc-provider/package.json ]] || return 1
  [[ "$(cat "$STAMP")" == "$(sha256sum package-lock.json | cut -d' ' -f1)" ]] || return 1
  "$NODE22" -e 'if (+process.versions.node.split(".")[0] < 22) process.exit(1)' 2>/dev/null
}

if ok; then
  exit 0
fi
command -v npm >/dev/null || { echo "install.sh: npm not found" >&2; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
  echo "install.sh: npm ci failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
if ! "$NODE22" -e 'if (+process.versions.node.split(".")[0] < 22) process.exit(1)' 2>/dev/null; then
  echo "install.sh: $NODE22 missing or not Node >= 22 (did npm skip the 'node' package's install script?)" >&2
  exit 1
fi
sha256sum package-lock.json | cut -d' ' -f1 >"$STAMP"
