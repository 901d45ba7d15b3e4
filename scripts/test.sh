#!/usr/bin/env bash
# The test command (README, and .ci/run): installs what's missing, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Rasa 3.6 in its own Python 3.10 venv: tests/rasa run against a real server. The fast tier
# (-m "not slow") leaves tests/rasa out, so it needs neither Rasa nor Python 3.10.
if [[ " $* " != *"not slow"* ]]; then
  ./scripts/setup-rasa.sh
fi
mkdir -p tests/artifacts
# Unused imports, undefined names and the like fail here in seconds, before a long test run.
.venv/bin/ruff check voicebot tests benchmarks
# Types across the transport/session/media seams (strict there, pyproject.toml [tool.mypy]): seconds, before a long run.
.venv/bin/mypy voicebot/transport voicebot/session voicebot/media
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider -rA --durations=15)
# The fast tier runs on every core (pytest-xdist; each worker has its own cache, Redis and ports).
# The slow tier's tests are real-time calls between processes and a Rasa server. They spend their time
# waiting on the calls' own clock, not on the CPU (measured: 20 CPU minutes in 41 wall minutes one at a
# time), so they run two at a time as well; the few judged on timing or on hearing at its margins
# (marker "solo", tests/conftest.py) then run alone.
WORKERS="${VOICEBOT_TEST_WORKERS:-2}"
if [[ " $* " == *"not slow"* ]]; then
  exec "${PYTEST[@]}" -n "$WORKERS" "$@"
fi
tier() {  # pytest's exit code 5 is "nothing collected here" (a path with tests of one tier only)
  local rc=0
  "${PYTEST[@]}" "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then rc=0; fi
  return "$rc"
}
status=0
tier -n "$WORKERS" -m "not slow" "$@" || status=$?
tier -n "$WORKERS" -m "slow and not solo" "$@" || { rc=$?; status=$((status ? status : rc)); }
tier -m "slow and solo" "$@" || { rc=$?; status=$((status ? status : rc)); }
exit "$status"
