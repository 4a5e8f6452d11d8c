"""Benchmark: import 50,000 follow-ups from an .xlsx file, checked and then written.

Run from the repository root::

    .venv/bin/python benchmarks/import_followups.py            # 50,000 rows, SQLite
    .venv/bin/python benchmarks/import_followups.py --rows 5000
    PATHSCORE_DATABASE_URL=postgresql://… .venv/bin/python benchmarks/import_followups.py

A fresh data folder (and, on SQLite, a fresh database) is created in a temporary
directory; on PostgreSQL the database named by the URL must be empty. The script makes a
salesperson with 200 projects, writes the workbook the way the template lays it out
(openpyxl's write-only mode), then runs the import's two jobs as a worker would — the
check, then the write — and prints their times, the peak RSS of the process and the
figures of a second import of the same file (every row unchanged). The targets are in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONTENTS = [
    "拜访运检部，了解主变负载率和未来三年扩容计划。",
    "电话沟通储能系统报价，客户关注全生命周期成本。",
    "线上会议演示光伏电站运维方案，客户提出增加无人机巡检。",
    "现场勘查配电房，记录开关柜型号和现有设备情况。",
    "技术交流：客户希望提供用电负荷预测的测算依据。",
]
MODES = ["上门拜访", "电话沟通", "线上会议", "现场勘查", "技术交流"]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    from benchmarks.common import peak_rss_mb as own_peak

    return own_peak()


def setup_django(data_dir: Path) -> None:
    os.environ["PATHSCORE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathscore.settings")
    os.environ["PATHSCORE_JOBS_IMMEDIATE"] = "true"
    os.environ.setdefault("PATHSCORE_FAST_PASSWORD_HASHER", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)


def make_world(projects: int):
    from pathscore.core.choices import Role
    from pathscore.core.models import Option
    from pathscore.crm import services as crm
    from pathscore.org import services as org
    from pathscore.org.choices import DepartmentKind

    team = org.department_create(name="基准测试一部", code="bench-team", kind=DepartmentKind.TEAM)
    person = org.user_create(
        username="bench_sales",
        name="基准销售",
        password=None,
        roles=[Role.SALESPERSON],
        department=team,
    )
    grid = Option.objects.get(kind="customer_type", code="grid")
    category = Option.objects.get(kind="project_category", code="grid-om")
    customers = [
        crm.customer_create(actor=person, name=f"基准客户{n:03d}", customer_type=grid)
        for n in range(20)
    ]
    codes = []
    start = dt.date.today() - dt.timedelta(days=400)
    for n in range(projects):
        project = crm.project_create(
            actor=person,
            customer=customers[n % len(customers)],
            name=f"基准项目{n:04d}",
            category=category,
            started_on=start,
            external_code=f"BP-{n:04d}",
        )
        codes.append(project.external_code)
    return person, codes


def write_workbook(path: Path, rows: int, codes: list[str]) -> None:
    """The file as Excel saves it (with its dimension record, which openpyxl's write-only
    mode leaves out); run in a child process so its memory is not counted."""
    from openpyxl import Workbook

    rng = random.Random(2026)  # noqa: S311 - benchmark data, not security
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "跟进记录"
    sheet.append(
        ["外部编号", "项目编号", "跟进时间", "跟进方式", "跟进内容", "下一步行动", "下一步计划日期"]
    )
    now = dt.datetime.now().replace(second=0, microsecond=0)
    for n in range(rows):
        when = now - dt.timedelta(minutes=rng.randint(60, 360 * 24 * 60))
        planned = n % 3 == 0
        sheet.append(
            [
                f"BF-{n:06d}",
                codes[n % len(codes)],
                when,
                MODES[n % len(MODES)],
                CONTENTS[n % len(CONTENTS)],
                "提交需求分析报告" if planned else None,
                (when + dt.timedelta(days=7)).date() if planned else None,
            ]
        )
    workbook.save(path)


def run(person, path: Path) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import reset_queries

    from pathscore.transfer import services
    from pathscore.transfer.models import ImportBatch

    content = path.read_bytes()
    upload = SimpleUploadedFile(path.name, content)
    # The check job runs inline (PATHSCORE_JOBS_IMMEDIATE), once the upload has committed.
    started, cpu = time.perf_counter(), cpu_seconds()
    batch = services.batch_upload(actor=person, entity="followups", file=upload, language="zh-hans")
    checked, checked_cpu = time.perf_counter(), cpu_seconds()
    batch = ImportBatch.objects.get(pk=batch.pk)
    figures = {
        "status after check": batch.status,
        "problems": batch.error_count,
        "new": batch.to_create,
        "updated": batch.to_update,
        "unchanged": batch.unchanged,
        "check s": round(checked - started, 1),
        "check CPU s": round(checked_cpu - cpu, 1),
        "peak RSS after check MB": round(peak_rss_mb()),
    }
    if batch.can_commit:
        reset_queries()
        started, cpu = time.perf_counter(), cpu_seconds()
        services.batch_commit(batch=batch, actor=person)
        figures["write s"] = round(time.perf_counter() - started, 1)
        figures["write CPU s"] = round(cpu_seconds() - cpu, 1)
        figures["status after write"] = ImportBatch.objects.get(pk=batch.pk).status
    figures["peak RSS MB"] = round(peak_rss_mb())
    figures["file MB"] = round(len(content) / 1024 / 1024, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--again", action="store_true", help="import the same file a second time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pathscore-bench-") as folder:
        folder = Path(folder)
        setup_django(folder / "data")
        person, codes = make_world(args.projects)
        path = folder / "跟进记录.xlsx"
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=write_workbook, args=(path, args.rows, codes)
        )
        child.start()
        child.join()
        print(f"workbook: {args.rows} rows written in {time.perf_counter() - started:.1f} s")
        print("load average before:", os.getloadavg())
        print("first import:", run(person, path))
        if args.again:
            print("same file again:", run(person, path))
        print("load average after:", os.getloadavg())


if __name__ == "__main__":
    main()
