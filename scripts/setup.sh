#!/usr/bin/env bash
# Creates .venv with Python 3.12+ and installs the locked dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  # 3.12 first: requirements.lock is compiled for it and the suite runs on it; 3.13 works as a fallback.
  for candidate in "${PYTHON:-}" python3.12 /root/.pyenv/versions/3.12*/bin/python3 python3.13 /root/.pyenv/versions/3.13*/bin/python3 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "Teller needs Python 3.12 or newer (set PYTHON=/path/to/python3.12)" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  "$(find_python)" -m venv .venv
fi
if ! .venv/bin/python -m uv --version >/dev/null 2>&1; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check uv
fi
stamp=.venv/.lock-installed
if [ ! -f "$stamp" ] || ! cmp -s requirements.lock "$stamp"; then
  .venv/bin/python -m uv pip install --quiet --python .venv/bin/python -r requirements.lock
  cp requirements.lock "$stamp"
fi
