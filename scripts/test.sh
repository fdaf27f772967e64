#!/usr/bin/env bash
# Install everything the tests need (Debian's Chromium, a virtual environment with the pinned
# packages) and run the whole suite: unit, AppTest and real-browser tests. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

# Debian's Chromium (browser tests), CJK fonts (Korean pages), PostgreSQL (the store's tests start
# their own server in a temp folder), iproute2/util-linux (Ray tests in a private network) and npm
# (axe-core for the accessibility tests).
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk" \
   || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v ip >/dev/null \
   || ! command -v npm >/dev/null; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q chromium fonts-noto-cjk postgresql iproute2 util-linux nodejs npm
fi
# axe-core, pinned in tests/axe/package-lock.json; the browser tests inject it into each page.
[ -f tests/axe/node_modules/axe-core/axe.min.js ] || npm ci --prefix tests/axe --no-audit --no-fund
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
exec "$VENV/bin/python" -m pytest "$@"
