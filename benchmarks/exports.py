"""The file rows: the follow-up log export and the follow-up import, each timed in a
process of its own so its peak resident memory is its own."""

from __future__ import annotations

import ast
import json
import os
import subprocess  # nosec B404
import sys
import uuid
from pathlib import Path

from benchmarks.common import Row, Timing, at_most, not_measured

ROOT = Path(__file__).resolve().parent.parent


def run_child(module: str, *args: str, timeout: float = 1800) -> dict:
    """Run ``python -m module args`` with this process's settings; its last line is JSON."""
    done = subprocess.run(  # noqa: S603 # nosec B603 - a fixed module of this suite
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def export_row(cast, options) -> Row:
    runs = [
        run_child(
            "benchmarks.export_followups",
            "--rows",
            str(options.export_rows),
            "--viewer",
            cast.executive.username,
        )
        for _ in range(options.slow_runs)
    ]
    timing = Timing([run["seconds"] * 1000 for run in runs])
    seconds = timing.p95 / 1000
    peak = max(run["peak_rss_mb"] for run in runs)
    rows = runs[0]["rows"]
    return Row(
        key="followup_export",
        what=f"follow-up log export, {rows:,} rows to .xlsx",
        target="<= 15 s, peak RSS <= 300 MB",
        value=seconds,
        unit="s",
        passed=None if seconds is None else (seconds <= 15.0 and peak <= 300.0),
        details={**timing.as_dict(), "rows": rows, "bytes": runs[0]["bytes"], "peak_rss_mb": peak},
        note=f"worst of {len(runs)}; peak RSS {peak:.0f} MB (the whole process)",
    )


IMPORT_SCRIPT = ROOT / "benchmarks" / "import_followups.py"


def _scratch_postgres():
    """A fresh, empty PostgreSQL database beside the configured one (the import script
    builds its own small company), and how to drop it."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    name = f"{settings['NAME']}_import_{uuid.uuid4().hex[:6]}"
    server = {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    url = f"postgresql://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"

    def drop():
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def import_row(cast, options) -> Row:
    """The import's own script (``benchmarks/import_followups.py``): it builds a small
    company in a fresh database, writes a workbook of N follow-ups, and runs the import's
    check and write jobs as a worker would, in its own process."""
    from django.db import connection

    what = f"import {options.import_rows:,} follow-ups from .xlsx, validated"
    target = "<= 60 s, peak RSS <= 500 MB"
    if not IMPORT_SCRIPT.exists():
        return not_measured(
            "followup_import", what, target, "s", "not measured (import not available)"
        )
    env = os.environ.copy()
    drop = None
    if connection.vendor == "postgresql":
        env["PATHSCORE_DATABASE_URL"], drop = _scratch_postgres()
    try:
        done = subprocess.run(  # noqa: S603 # nosec B603 - a fixed script of this suite
            [sys.executable, str(IMPORT_SCRIPT), "--rows", str(options.import_rows)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
    finally:
        if drop is not None:
            drop()
    if done.returncode != 0:
        raise RuntimeError(f"import_followups.py failed:\n{done.stderr[-3000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("first import:"))
    figures = ast.literal_eval(line.split(":", 1)[1].strip())
    if figures.get("status after write") is None:
        raise RuntimeError(f"the import did not write: {figures}")
    seconds = figures["check s"] + figures.get("write s", 0)
    peak = figures["peak RSS MB"]
    return Row(
        key="followup_import",
        what=what,
        target=target,
        value=seconds,
        unit="s",
        passed=at_most(seconds, 60.0) and peak <= 500.0,
        details=figures,
        note=(
            f"check {figures['check s']} s + write {figures.get('write s')} s; peak RSS "
            f"{peak} MB; into a fresh database"
        ),
    )
