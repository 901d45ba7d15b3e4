#!/usr/bin/env bash
# Installs Rasa 3.6 (the optional external NLU/dialogue engine) into its own venv, .venv-rasa, because
# Rasa 3.6 needs Python < 3.11 while voicebot itself runs on 3.11. Idempotent: a second run only checks.
# ~3 min and ~2.7 GB the first time. Override the interpreter with RASA_PYTHON=/path/to/python3.10.
set -euo pipefail
cd "$(dirname "$0")/.."

RASA_VERSION="3.6.21"
VENV=".venv-rasa"
stamp="$VENV/.rasa-$RASA_VERSION-installed"
if [ -f "$stamp" ] && [ -x "$VENV/bin/rasa" ]; then
  echo "==> rasa $RASA_VERSION already installed in $VENV"
  exit 0
fi

ok_version() { "$1" -c 'import sys; sys.exit(not ((3, 8) <= sys.version_info[:2] <= (3, 10)))' 2>/dev/null; }
PY=""
if [ -n "${RASA_PYTHON:-}" ]; then
  ok_version "$RASA_PYTHON" || { echo "setup-rasa: RASA_PYTHON=$RASA_PYTHON is not Python 3.8-3.10" >&2; exit 1; }
  PY="$RASA_PYTHON"
else
  for cand in python3.10 /root/.pyenv/versions/3.10.13/bin/python3.10 "$HOME/.pyenv/versions/3.10.13/bin/python3.10" \
              python3.9 python3.8; do
    if command -v "$cand" >/dev/null 2>&1 && ok_version "$cand"; then
      PY="$(command -v "$cand")"; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "setup-rasa: Rasa $RASA_VERSION needs Python 3.8-3.10 and none was found." >&2
  echo "  Install one (e.g. 'pyenv install 3.10.13'; Debian 12 ships only 3.11) or set RASA_PYTHON=/path/to/python3.10." >&2
  echo "  Do not install rasa on Python 3.11: pip silently picks the ancient rasa 1.10." >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV with $PY ($("$PY" --version 2>&1))"
  "$PY" -m venv "$VENV"
fi
echo "==> pip install rasa==$RASA_VERSION into $VENV (≈3 min, ≈2.7 GB the first time)"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "rasa==$RASA_VERSION"
RASA_TELEMETRY_ENABLED=false "$VENV/bin/rasa" --version
touch "$stamp"
echo "==> ready: $VENV/bin/rasa"
