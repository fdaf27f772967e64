#!/usr/bin/env bash
# Install everything the tests need (Debian's Chromium, a virtual environment with the pinned
# packages) and run the whole suite: unit, AppTest and real-browser tests. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

# Debian's Chromium (browser tests), CJK fonts (Korean pages), PostgreSQL (the store's tests start
# their own server in a temp folder), iproute2/util-linux (Ray tests in a private network) and npm
# (axe-core for the accessibility tests).
# Only what is missing: a machine may have Node.js from elsewhere (NodeSource's bundles npm, and
# Debian's npm conflicts with it). grep reads all of fc-list (no -q): an early exit would be a
# SIGPIPE, which pipefail turns into "missing".
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -i "noto sans cjk" >/dev/null || missing+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v ip >/dev/null || missing+=(iproute2)
command -v unshare >/dev/null || missing+=(util-linux)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q "${missing[@]}"
fi
# axe-core, pinned in tests/axe/package-lock.json; the browser tests inject it into each page.
[ -f tests/axe/node_modules/axe-core/axe.min.js ] || npm ci --prefix tests/axe --no-audit --no-fund
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
exec "$VENV/bin/python" -m pytest "$@"
