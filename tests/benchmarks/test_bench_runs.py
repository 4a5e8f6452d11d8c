"""The benchmark suite still runs: a small generated company, every row once, quickly.

No timing is asserted (timed tests fail on a busy machine and prove nothing); the numbers
that matter are measured by ``make bench`` and recorded in docs/benchmarks.md. This test
proves that every row of the Performance table still produces a number and that the run
ends well, so a change that breaks the suite is noticed before the next measurement.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATHSCORE = Path(sys.executable).parent / "pathscore"

pytestmark = pytest.mark.benchmark

#: Every row the suite reports, by key.
EXPECTED = {
    "dashboard_team",
    "dashboard_company",
    *(
        f"aggregates_{name}_{scope}"
        for name in ("nodes_by_type", "followups_week", "on_time", "cycle")
        for scope in ("team", "company")
    ),
    "live_score",
    "close_quarter",
    "report_export",
    "followup_export",
    "followup_import",
    "api_latency_4",
    "api_throughput_4",
    "api_latency_16",
    "api_throughput_16",
    "page_weight",
}


def _run(command: list[str], env: dict, timeout: int) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


def test_every_row_produces_a_number(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PATHSCORE_DATABASE_URL", "PATHSCORE_REDIS_URL"}
    }
    env["PATHSCORE_DATA_DIR"] = str(tmp_path / "data")
    _run([str(PATHSCORE), "migrate", "--quiet"], env, 300)
    # XS: the smallest generated company, a few seconds to build.
    _run([str(PATHSCORE), "manage", "seed_scale", "XS", "--quiet"], env, 300)
    done = _run(
        [str(PATHSCORE), "bench", "--quick", "--scale", "XS", "--output", str(tmp_path)],
        env,
        600,
    )

    [results] = tmp_path.glob("*-XS-sqlite-quick.json")
    report = json.loads(results.read_text())
    rows = {row["key"]: row for row in report["rows"]}
    assert set(rows) == EXPECTED, done.stdout
    for key, row in rows.items():
        assert isinstance(row["value"], int | float) and math.isfinite(row["value"]), (key, row)
        assert row["value"] >= 0, (key, row)
    # The four aggregates agree with DuckDB's answers over the same rows.
    for key, row in rows.items():
        if key.startswith("aggregates_"):
            assert row["details"]["same_result"], (key, row)
    assert report["data"]["followups"] > 0
    assert report["machine"]["commit"] is not None
    # The table printed for people names every row.
    assert done.stdout.count("\n") > len(EXPECTED)
    # The API run removed what it wrote.
    assert rows["api_latency_4"]["details"]["rows_removed_after"] > 0
