#!/usr/bin/env bash
# Sets up Teller on the embedded default (SQLite, eager Celery, SandboxProvider), seeds the demo and serves it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export DJANGO_SETTINGS_MODULE=config.settings
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
host="${HOST:-127.0.0.1}"; port="${PORT:-8000}"
echo
echo "Teller is starting on http://$host:$port/ — sign in with one of the demo accounts printed above."
exec .venv/bin/python manage.py runserver "$host:$port"
