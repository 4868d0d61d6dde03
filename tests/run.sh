#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs the whole suite.
# Extra arguments go to pytest (e.g. `bash tests/run.sh tests/test_accounts_web.py -x`).
# When something cannot be installed (no root, no sudo, not Debian) it stops and names exactly
# what is missing and the command that installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, each with the command that proves it is there:
#   chromium                 the browser tests (Playwright drives Debian's Chromium)
#   libimage-exiftool-perl   exiftool, the independent metadata checker
#   tesseract-ocr            the second, unrelated OCR engine that reads redacted text back
#   fonts-dejavu-core        draws the burned-in test text that OCR must find and redaction cover
#   nginx                    the front proxy the media tests start (X-Accel-Redirect)
#   postgresql-client        pg_dump/pg_restore for the PostgreSQL backup test
#   nodejs, npm              the Fedify interop peer and the OpenID test provider (npm then
#                            fetches their own Node 22)
#   python3-venv             the project's virtualenv and the packaging test's fresh venv
#   orthanc, orthanc-dicomweb  the PACS the DICOM intake tests send from (STOW-RS and C-STORE)
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v exiftool >/dev/null 2>&1 || missing+=(libimage-exiftool-perl)
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v Orthanc >/dev/null 2>&1 || [ -x /usr/sbin/Orthanc ] || missing+=(orthanc)
[ -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || missing+=(orthanc-dicomweb)
if [ ! -x .venv/bin/python ]; then
  # Debian's python3 has venv without ensurepip until python3-venv is installed: try for real.
  probe="$(mktemp -d)"
  python3 -m venv "$probe/venv" >/dev/null 2>&1 || missing+=(python3-venv)
  rm -rf "$probe"
fi

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      echo "tests/run.sh: missing Debian packages: ${missing[*]}" >&2
      echo "tests/run.sh: install them as root, then run this again:" >&2
      echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "tests/run.sh: missing packages (Debian names): ${missing[*]}, and this is not a Debian machine (no apt-get)." >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  # Another apt/dpkg run holding the lock is waited for (up to 10 minutes), not failed on.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  # policy-rc.d 101: nginx and Orthanc are only binaries for the tests; Debian must not start it as a service.
  policy_rc=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy_rc=/usr/sbin/policy-rc.d
    trap '$sudo rm -f "$policy_rc"' EXIT
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy_rc" >/dev/null
    $sudo chmod +x "$policy_rc"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$policy_rc" ]; then $sudo rm -f "$policy_rc"; trap - EXIT; fi
fi

# Python packages (the project and its test extras) in a local virtualenv.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# The Fedify interop peer (npm: @fedify/fedify and a local Node 22).
bash tests/interop/fedify_peer/install.sh
# The OpenID provider the single sign-on tests sign in through (npm: oidc-provider).
bash tests/interop/oidc_provider/install.sh

# axe-core (npm), which the browser tests inject to check every page type for accessibility.
bash tests/browser/axe/install.sh

# The bovine-herd interop peer (PyPI bovine-herd, in its own venv: it needs quart<0.20).
bash tests/interop/bovine_peer/install.sh

# Two test processes (pytest-xdist), each taking whole modules so module-scoped servers start once:
# most of the suite waits on servers, browsers and subprocesses. TEST_PROCESSES=0 runs in one process.
exec .venv/bin/python -m pytest -n "${TEST_PROCESSES:-2}" --dist loadfile "$@"
