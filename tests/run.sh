#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs the whole suite.
# Extra arguments go to pytest (e.g. `bash tests/run.sh tests/test_accounts_web.py -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: Chromium for the browser tests, exiftool as the independent metadata checker,
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v exiftool >/dev/null 2>&1 || missing+=(libimage-exiftool-perl)
# DejaVu draws the burned-in test text that OCR must find and the redaction must cover.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python packages (the project and its test extras) in a local virtualenv.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# The Fedify interop peer (npm: @fedify/fedify and a local Node 22).
bash tests/interop/fedify_peer/install.sh

exec .venv/bin/python -m pytest "$@"
