#!/usr/bin/env bash
# The test command (README, and .ci/run): installs what's missing, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
mkdir -p tests/artifacts
exec .venv/bin/python -m pytest -p no:cacheprovider -rA --durations=15 "$@"
