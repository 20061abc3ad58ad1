#!/usr/bin/env bash
# Install everything the project needs into .venv from uv.lock (uv itself too, if missing).
# Sourced by scripts/main.sh and scripts/test.sh; safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export UV_PYTHON_DOWNLOADS=never   # use the machine's Python 3.11; never fetch one
export UV_LINK_MODE="${UV_LINK_MODE:-copy}"

PYTHON="${WORKCOMP_PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && \
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON="$(command -v "$candidate")"; break
    fi
  done
fi
if [ -z "$PYTHON" ]; then
  echo "workcomp needs Python 3.11 (set WORKCOMP_PYTHON to its path)" >&2
  exit 1
fi

UV="$(command -v uv || true)"
if [ -z "$UV" ]; then
  # A private tools venv works for root and normal users alike, and under PEP 668.
  TOOLS="$ROOT/.workcomp/tools"
  if [ ! -x "$TOOLS/bin/uv" ]; then
    echo "installing uv into $TOOLS"
    "$PYTHON" -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check uv
  fi
  UV="$TOOLS/bin/uv"
fi

"$UV" sync --locked --python "$PYTHON" --quiet --compile-bytecode
export PATH="$ROOT/.venv/bin:$PATH"
