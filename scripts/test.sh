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
# The slow tier's tests are real-time calls between processes and a Rasa server: one at a time, so
# no test's latency depends on another's.
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
tier -m slow "$@" || { rc=$?; status=$((status ? status : rc)); }
exit "$status"
