#!/usr/bin/env bash
# The bounded load test: salespeople record follow-ups while managers read the dashboards.
#
# Loads the demo company into a fresh data folder, serves it with gunicorn (2 workers, nothing
# else) on the loopback interface, runs locust headless for a fixed time, stops the server and
# prints p50/p95/p99 per request. Statistics start once every user has signed in (the sign-in
# burst is argon2 hashing, not the scenario). Exits non-zero if a single request failed or the
# server logged an error. Traffic never leaves 127.0.0.1.
#
#   benchmarks/load/run.sh                      # 20 users, 5 started per second, 60 s, 2 workers
#   USERS=40 DURATION=120s WORKERS=4 benchmarks/load/run.sh
#
# Needs the bench extra: pip install -c constraints.txt -e ".[bench]"  (or `make load`).
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=${VENV:-.venv}
USERS=${USERS:-20}
SPAWN_RATE=${SPAWN_RATE:-5}
DURATION=${DURATION:-60s}
WORKERS=${WORKERS:-2}
RESULTS=${RESULTS:-var/load}
PY="$VENV/bin/python"

if [ ! -x "$VENV/bin/locust" ]; then
  echo "locust is not installed: run make load, or pip install -c constraints.txt -e \".[bench]\"" >&2
  exit 2
fi
PORT=${PORT:-$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
HOST="http://127.0.0.1:$PORT"

data_dir=$(mktemp -d -t pathscore-load.XXXXXX)
mkdir -p "$RESULTS"
prefix="$RESULTS/load"
rm -f "$prefix.json"
gunicorn_pid=""

cleanup() {
  if [ -n "$gunicorn_pid" ] && kill -0 "$gunicorn_pid" 2>/dev/null; then
    kill -TERM "$gunicorn_pid"
    wait "$gunicorn_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

# The same settings `make demo` uses: the embedded default (SQLite, database cache, jobs queued
# in SQLite), development mode, DEBUG off. Rate limits cover exports and uploads only, and the
# scenario has neither; logins are limited on failures only.
export PATHSCORE_DATA_DIR="$data_dir"

echo "Loading the demo company into $data_dir ..."
"$VENV/bin/pathscore" demo --no-serve >"$data_dir/demo.log" 2>&1 || {
  cat "$data_dir/demo.log" >&2
  exit 1
}

echo "Starting gunicorn ($WORKERS workers) on $HOST ..."
"$PY" -m gunicorn pathscore.wsgi:application \
  --bind "127.0.0.1:$PORT" --workers "$WORKERS" --graceful-timeout 10 \
  --access-logfile "$data_dir/access.log" >"$data_dir/server.log" 2>&1 &
gunicorn_pid=$!

ready=""
for _ in $(seq 1 60); do
  if "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "$HOST/accounts/login/" >/dev/null 2>&1; then
    ready=1
    break
  fi
  kill -0 "$gunicorn_pid" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "gunicorn did not answer on $HOST" >&2
  cat "$data_dir/server.log" >&2
  exit 1
fi

echo "Running locust: $USERS users, $SPAWN_RATE started per second, for $DURATION ..."
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
locust_status=0
"$VENV/bin/locust" -f benchmarks/load/locustfile.py --headless --only-summary \
  --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$DURATION" --stop-timeout 10 \
  --host "$HOST" --json-file "$prefix" --loglevel WARNING || locust_status=$?

kill -TERM "$gunicorn_pid"
wait "$gunicorn_pid" 2>/dev/null || true
gunicorn_pid=""

echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$PY" benchmarks/load/summary.py "$prefix.json" || locust_status=1

server_errors=$(grep -c -E '^Traceback|ERROR' "$data_dir/server.log" || true)
if [ "$server_errors" -gt 0 ]; then
  echo "The server logged $server_errors errors:" >&2
  grep -A30 -m5 -E '^Traceback|ERROR' "$data_dir/server.log" >&2
  locust_status=1
fi
echo "Results: $prefix.json"
exit "$locust_status"
