"""Run the benchmark suite on the configured database and print the Performance table.

    pathscore bench [--quick] [--scale L] [--only dashboard,api] [--runs N] [--slow-runs N]
                    [--output DIR]
    python -m benchmarks …                      (the same)

The database is whatever ``PATHSCORE_DATA_DIR`` / ``PATHSCORE_DATABASE_URL`` configure, as
for every other command; ``make bench SCALE=L DB=postgres`` chooses and seeds one. Prints a
table (target, measured, pass) and writes every number, the machine, the date and the
commit to ``benchmarks/results/<date>-<scale>-<database>.json``. Exits 1 if a row could
not be measured because it failed; a row that misses its target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess  # nosec B404
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ("dashboard", "aggregates", "scoring", "export", "import", "api", "weight")


def _git(*args: str) -> str:
    try:
        return subprocess.run(  # noqa: S603 # nosec B603 B607 - fixed git arguments
            ["git", *args],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict:
    from django.db import connection

    memory = ""
    cpu = platform.processor()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    debian = Path("/etc/debian_version")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        database_version = cursor.fetchone()[0]
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "system": (
            f"Debian {debian.read_text().strip()}" if debian.exists() else platform.platform()
        ),
        "python": platform.python_version(),
        "database": f"{connection.vendor} {database_version}",
        "commit": commit + (" with uncommitted changes" if dirty else ""),
        "load_average_before": os.getloadavg(),
    }


def _format(row) -> tuple[str, str, str, str]:
    if row.value is None:
        measured = row.note or "not measured"
    elif row.unit in {"x"}:
        measured = f"{row.value:.2f}x"
    elif row.unit == "%":
        measured = f"{row.value:.0f}%"
    elif row.unit == "ms":
        measured = f"{row.value:.1f} ms"
    elif row.unit == "s":
        measured = f"{row.value:.2f} s"
    else:
        measured = f"{row.value:.0f} {row.unit}"
    if row.value is not None and row.note:
        measured += f" ({row.note})"
    verdict = {True: "pass", False: "MISS", None: "-"}[row.passed]
    return row.what, row.target, measured, verdict


def print_table(rows, out=sys.stdout) -> None:
    lines = [("row", "target", "measured", "")] + [_format(row) for row in rows]
    widths = [min(max(len(line[i]) for line in lines), 70) for i in range(2)]
    for what, target, measured, verdict in lines:
        print(f"{what:<{widths[0]}}  {target:<{widths[1]}}  {verdict:<4}  {measured}", file=out)


def run(options, scale: str, output: Path) -> tuple[list, bool]:
    from django.db import connection

    from benchmarks import aggregates, api, dashboard, exports, people, scoring
    from benchmarks.common import Row

    cast = people.find_cast()
    wanted = options.only or GROUPS
    steps = {
        "dashboard": lambda: dashboard.dashboard_rows(cast, options),
        "aggregates": lambda: aggregates.aggregate_rows(cast, options),
        "scoring": lambda: scoring.scoring_rows(cast, options),
        "export": lambda: [exports.export_row(cast, options)],
        "import": lambda: [exports.import_row(cast, options)],
        "api": lambda: api.api_rows(cast, options, output.parent),
        "weight": lambda: [dashboard.page_weight_row(cast, options)],
    }
    rows, failed = [], False
    for group in GROUPS:
        if group not in wanted:
            continue
        started = time.monotonic()
        print(f"... {group}", file=sys.stderr, flush=True)
        try:
            rows.extend(steps[group]())
        except Exception as error:  # one broken row must not hide the others
            failed = True
            traceback.print_exc()
            rows.append(
                Row(
                    key=group,
                    what=group,
                    target="",
                    value=None,
                    unit="",
                    passed=False,
                    note=f"FAILED: {type(error).__name__}: {error}"[:300],
                )
            )
        print(f"    {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    connection.close()
    return rows, failed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pathscore bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few runs: prove every row runs")
    parser.add_argument("--scale", default="", help="the label of the data (S, M, L, demo)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated groups of rows: {', '.join(GROUPS)}"
    )
    parser.add_argument("--runs", type=int, help="timed runs of fast rows (default 20)")
    parser.add_argument(
        "--slow-runs", type=int, help="timed runs of slow rows: close, exports (default 3)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "benchmarks" / "results",
        help="folder for the JSON results (default: benchmarks/results/)",
    )
    args = parser.parse_args(argv)
    only = tuple(group for group in args.only.split(",") if group)
    unknown = set(only) - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups: {', '.join(sorted(unknown))}")

    # Exports are rate-limited per user; the suite exports on purpose, many times.
    os.environ["PATHSCORE_EXPORT_RATE"] = "off"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathscore.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from benchmarks import people
    from benchmarks.common import Options

    if settings.DEBUG:
        print("pathscore bench: DEBUG is on; turn it off to measure", file=sys.stderr)
        sys.exit(2)
    options = Options.for_mode(args.quick, only)
    if args.runs:
        options.runs = args.runs
    if args.slow_runs:
        options.slow_runs = args.slow_runs
    database = "postgres" if connection.vendor == "postgresql" else "sqlite"
    try:
        size = people.counts()
    except Exception as error:
        print(f"pathscore bench: cannot read the database: {error}", file=sys.stderr)
        sys.exit(2)
    scale = args.scale or "custom"
    started = dt.datetime.now(dt.UTC)
    info = machine()
    print(
        f"Pathscore benchmarks, scale {scale} on {info['database']}: "
        + ", ".join(f"{value:,} {name}" for name, value in size.items()),
        flush=True,
    )
    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pathscore-bench-") as work:
        rows, failed = run(options, scale, Path(work) / "x")
    print()
    print_table(rows)
    name = f"{started:%Y-%m-%d}-{scale}-{database}{'-quick' if options.quick else ''}.json"
    path = args.output / name
    path.write_text(
        json.dumps(
            {
                "date": started.isoformat(timespec="seconds"),
                "scale": scale,
                "database": database,
                "quick": options.quick,
                "machine": {**info, "load_average_after": os.getloadavg()},
                "data": size,
                "rows": [row.as_dict() for row in rows],
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )
    )
    print(f"\nResults: {path}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
