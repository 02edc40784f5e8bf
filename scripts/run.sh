#!/usr/bin/env bash
# Sets up Teller on the embedded default (SQLite, eager Celery, SandboxProvider), seeds the demo and serves it.
#
# HOST and PORT choose where it serves (default 127.0.0.1:8000). TELLER_PUBLIC_URL, the address in every link
# Teller sends (repayment and pay links, invitations, webhook URLs), follows them unless it is set already.
# The periodic sweeps (access expiry, stuck webhook events, pending revocations and credits) run next to the
# server: without REDIS_URL there is no broker for celery beat, so `manage.py run_sweeps` applies them
# in-process; with REDIS_URL a Celery worker with an embedded beat runs them. They stop with the server.
set -euo pipefail
cd "$(dirname "$0")/.."
host="${HOST:-127.0.0.1}"; port="${PORT:-8000}"
public_host="$host"
case "$public_host" in 0.0.0.0|"::"|"[::]") public_host=127.0.0.1 ;; esac  # a wildcard is no address to link to
case "$public_host" in *:*) [[ "$public_host" == \[* ]] || public_host="[$public_host]" ;; esac  # IPv6 literal
export TELLER_PUBLIC_URL="${TELLER_PUBLIC_URL:-http://$public_host:$port}"
if [[ -z "${REDIS_URL:-}" ]]; then
  sweeps=(.venv/bin/python manage.py run_sweeps)
else
  sweeps=(.venv/bin/celery -A config worker --beat --loglevel INFO)
fi
if [[ -n "${TELLER_RUN_DRY:-}" ]]; then  # print what would run (the tests read it) and stop
  echo "TELLER_PUBLIC_URL=$TELLER_PUBLIC_URL"
  echo "serve=$host:$port"
  echo "sweeps=${sweeps[*]#.venv/bin/}"
  exit 0
fi
scripts/setup.sh
export DJANGO_SETTINGS_MODULE=config.settings
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
"${sweeps[@]}" &
sweeper=$!
trap 'kill "$sweeper" 2>/dev/null || true' EXIT INT TERM
echo
echo "Teller is starting on $TELLER_PUBLIC_URL/ — sign in with one of the demo accounts printed above."
.venv/bin/python manage.py runserver "$host:$port"
