#!/usr/bin/env bash
# Sets up everything the tests need (venv, packages, Debian's chromium) and runs the whole suite.
# Uses DATABASE_URL / REDIS_URL when set (CI: PostgreSQL and Redis); SQLite and eager Celery otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests…"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
mkdir -p artifacts/screenshots
export DJANGO_ALLOW_ASYNC_UNSAFE=true
exec .venv/bin/python -m pytest "$@"
