#!/usr/bin/env bash
# make bench: the benchmark suite on a generated company of SCALE, on SQLite or PostgreSQL.
#
#   make bench                          # SCALE=S DB=sqlite
#   make bench SCALE=L DB=postgres      # seeds pathscore_bench_l the first time (long), then measures
#   BENCH_ARGS="--only dashboard,aggregates" make bench SCALE=M
#
# The company is generated once (`pathscore seed --scale SCALE`) into var/bench/SCALE-sqlite
# or the PostgreSQL database pathscore_bench_<scale> on BENCH_POSTGRES (default: postgres on
# 127.0.0.1), and reused by every later run. BENCH_DATA_DIR or BENCH_DATABASE_URL point it at
# a company seeded elsewhere. Results: benchmarks/results/<date>-<scale>-<db>.json.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
SCALE=${SCALE:-S}
DB=${DB:-sqlite}
lower=$(echo "$SCALE" | tr '[:upper:]' '[:lower:]')

case "$DB" in
  sqlite)
    unset PATHSCORE_DATABASE_URL
    export PATHSCORE_DATA_DIR=${BENCH_DATA_DIR:-var/bench/$SCALE-sqlite}
    ;;
  postgres)
    server=${BENCH_POSTGRES:-postgresql://postgres@127.0.0.1:5432}
    export PATHSCORE_DATABASE_URL=${BENCH_DATABASE_URL:-$server/pathscore_bench_$lower}
    export PATHSCORE_DATA_DIR=${BENCH_DATA_DIR:-var/bench/$SCALE-postgres}
    if [ -z "${BENCH_DATABASE_URL:-}" ] &&
      ! psql "$server/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = 'pathscore_bench_$lower'" | grep -q 1; then
      psql "$server/postgres" -qc "CREATE DATABASE pathscore_bench_$lower"
    fi
    ;;
  *)
    echo "DB must be sqlite or postgres, not $DB" >&2
    exit 2
    ;;
esac
mkdir -p "$PATHSCORE_DATA_DIR"

"$VENV/bin/pathscore" migrate --quiet
if "$VENV/bin/python" -c "
import os, sys, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'pathscore.settings')
django.setup()
from pathscore.demo.loader import database_is_empty
sys.exit(0 if database_is_empty() else 1)"; then
  echo "Generating a company of scale $SCALE (once) ..."
  "$VENV/bin/pathscore" seed --scale "$SCALE"
fi
# shellcheck disable=SC2086 # BENCH_ARGS holds several options on purpose
exec "$VENV/bin/pathscore" bench --scale "$SCALE" ${BENCH_ARGS:-}
