"""API row: create a follow-up at 4 and 16 concurrent clients, against a bare DRF view.

Two gunicorn servers (2 sync workers each, the production server) run side by side on
loopback ports over the same database: Pathscore itself, and ``benchmarks/bare`` — one
APIView doing the same INSERT with no authentication, validation, scoping, history or
middleware. Clients are threads with ``http.client`` connections, each posting as a
salesperson of the measured team (a personal API token each) to one of that person's
active projects. The levels alternate (Pathscore 4, bare 4, Pathscore 16, bare 16), each
after a warm-up, so both servers meet the same machine. The clients share the 2 cores
with the servers; they spend well under a millisecond per request against the servers'
milliseconds, which the numbers should be read with.

Everything written is removed afterwards: the follow-ups (found by a marker in their text
and an id above the highest one before the run), their history rows, and the tokens.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess  # nosec B404
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import Row, Timing, at_least, at_most

ROOT = Path(__file__).resolve().parent.parent
LEVELS = (4, 16)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn with 2 workers on a loopback port, stopped on exit."""

    def __init__(self, app: str, log: Path):
        self.port = free_port()
        self.log = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 # nosec B603 - fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                app,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn on port {self.port} did not start; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@dataclass
class Poster:
    """What one client thread sends: where, with which headers, which bodies."""

    path: str
    headers: dict
    bodies: list  # callables returning a dict


@dataclass
class LevelResult:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    completed: int = 0
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


def drive(port: int, posters: list[Poster], clients: int, seconds: float) -> LevelResult:
    """``clients`` threads post for ``seconds`` (after a warm-up of a tenth of it)."""
    result = LevelResult()
    lock = threading.Lock()
    warm_until = time.monotonic() + max(seconds / 10, 0.5)
    stop_at = warm_until + seconds

    def client(index: int) -> None:
        poster = posters[index % len(posters)]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, problems, n, done = [], [], 0, 0
        # Every client measures at least one request, however slow the machine.
        while time.monotonic() < stop_at or not mine:
            body = json.dumps(poster.bodies[n % len(poster.bodies)]()).encode()
            n += 1
            started = time.monotonic()
            try:
                connection.request("POST", poster.path, body=body, headers=poster.headers)
                response = connection.getresponse()
                text = response.read()
            except (OSError, http.client.HTTPException) as error:
                problems.append(repr(error))
                connection.close()
                continue
            ended = time.monotonic()
            if response.status != 201:
                problems.append(f"{response.status}: {text[:200]!r}")
                if len(problems) > 20:
                    break
                continue
            # Latency: requests sent after the warm-up. Throughput: answers within the window.
            if started >= warm_until:
                mine.append((ended - started) * 1000)
            if warm_until <= ended <= stop_at:
                done += 1
        connection.close()
        with lock:
            result.latencies.extend(mine)
            result.errors.extend(problems)
            result.completed += done

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = seconds
    return result


def _setup(cast, marker: str):
    """Tokens for the team's salespeople who have active projects, and what they post."""
    from pathscore.core.models import Option
    from pathscore.crm import options as crm_options
    from pathscore.crm.choices import ProjectStatus
    from pathscore.crm.models import FollowUp, Project
    from pathscore.org import services as org_services
    from pathscore.org.models.tokens import TokenScope

    mode = Option.objects.filter(kind=crm_options.FOLLOWUP_MODE).order_by("sort_order", "pk")[0]
    before = FollowUp.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    product, bare, tokens = [], [], []
    for person in cast.team:
        projects = list(
            Project.objects.filter(owner=person, status=ProjectStatus.ACTIVE)
            .order_by("pk")
            .values_list("pk", "customer_id")[:20]
        )
        if not projects:
            continue
        token, secret = org_services.token_create(
            user=person, name=marker, scope=TokenScope.WRITE, expires_in_days=30
        )
        tokens.append(token.pk)

        def body(project, customer, person=person):
            occurred = datetime.now(UTC) - timedelta(minutes=30)
            return {
                "project": project,
                "customer": customer,
                "author": person.pk,
                "occurred_at": occurred.isoformat(),
                "mode": mode.code,
                "mode_id": mode.pk,
                "content": f"{marker} 电话沟通技术方案细节，客户关注设备交付周期。",
                "client_key": str(uuid.uuid4()),
            }

        bodies = [lambda p=p, c=c: body(p, c) for p, c in projects]
        json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        product.append(
            Poster(
                "/api/v1/followups/",
                {**json_headers, "Authorization": f"Bearer {secret}"},
                bodies,
            )
        )
        bare.append(Poster("/followups/", json_headers, bodies))
        if len(product) == max(LEVELS):
            break
    if not product:
        raise RuntimeError("no salesperson of the measured team has an active project")
    return product, bare, tokens, before


def _cleanup(marker: str, tokens: list[int], before: int) -> int:
    """Delete what the run wrote: its follow-ups (and their history), its tokens.

    Tens of thousands of follow-ups go one by one through Django's collector; the
    per-day rollup's delete receiver would decrement a day for each, and the bare view's
    rows were never counted. So the receiver is left out while they go, and the days they
    touched are recounted once from the raw rows afterwards — exact either way."""
    from django.db import transaction
    from django.db.models import Max, Min
    from django.db.models.signals import post_delete

    from pathscore.crm.models import FollowUp
    from pathscore.insights import rollups
    from pathscore.org.models.tokens import ApiToken

    with transaction.atomic():
        written = FollowUp.objects.filter(pk__gt=before, content__startswith=marker)
        ids = list(written.values_list("pk", flat=True))
        span = written.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
        authors = set(written.values_list("author_id", flat=True).distinct())
        post_delete.disconnect(sender=FollowUp, dispatch_uid=rollups.FOLLOWUP_DAYS_RECEIVER)
        try:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                FollowUp.history.filter(id__in=chunk).delete()
                FollowUp.objects.filter(pk__in=chunk).delete()
        finally:
            post_delete.connect(
                rollups.on_followup_deleted,
                sender=FollowUp,
                dispatch_uid=rollups.FOLLOWUP_DAYS_RECEIVER,
            )
        if ids:
            # What the services publish for follow-ups that moved: their days are recounted.
            rollups.on_followups_dated(
                author_ids=authors, first_at=span["first"], last_at=span["last"]
            )
        ApiToken.objects.filter(pk__in=tokens).delete()
    return len(ids)


def api_rows(cast, options, workdir: Path) -> list[Row]:
    marker = f"[bench-{uuid.uuid4().hex[:8]}]"
    product_posters, bare_posters, tokens, before = _setup(cast, marker)
    servers = []
    measured: dict[tuple[str, int], LevelResult] = {}
    try:
        product = Server("pathscore.wsgi:application", workdir / "gunicorn-pathscore.log")
        bare = Server("benchmarks.bare.wsgi:application", workdir / "gunicorn-bare.log")
        servers = [product, bare]
        product.wait_ready("/accounts/login/")
        bare.wait_ready("/followups/")
        for clients in LEVELS:
            for name, server, posters in (
                ("pathscore", product, product_posters),
                ("bare", bare, bare_posters),
            ):
                measured[(name, clients)] = drive(
                    server.port, posters, clients, options.api_seconds
                )
    finally:
        for server in servers:
            server.stop()
        removed = _cleanup(marker, tokens, before)
    rows = []
    for clients in LEVELS:
        ours, floor = measured[("pathscore", clients)], measured[("bare", clients)]
        errors = ours.errors + floor.errors
        if errors:
            raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
        latency = Timing(ours.latencies)
        bare_latency = Timing(floor.latencies)
        ratio = ours.throughput / floor.throughput if floor.throughput else None
        details = {
            "clients": clients,
            "seconds": options.api_seconds,
            "pathscore": {**latency.as_dict(), "per_second": ours.throughput},
            "bare": {**bare_latency.as_dict(), "per_second": floor.throughput},
            "posting_salespeople": len(product_posters),
            "rows_removed_after": removed,
        }
        rows.append(
            Row(
                key=f"api_latency_{clients}",
                what=f"API create follow-up, {clients} clients, p95 latency",
                target="p95 <= 50 ms" if clients == 4 else "reported",
                value=latency.p95,
                unit="ms",
                passed=at_most(latency.p95, 50.0) if clients == 4 else None,
                details=details,
                note=(
                    f"p50 {latency.p50:.1f} ms; bare view p50 {bare_latency.p50:.1f} ms, "
                    f"p95 {bare_latency.p95:.1f} ms"
                ),
            )
        )
        rows.append(
            Row(
                key=f"api_throughput_{clients}",
                what=f"API create follow-up, {clients} clients, throughput vs bare DRF view",
                target=">= 50% of bare",
                value=None if ratio is None else ratio * 100,
                unit="%",
                passed=at_least(None if ratio is None else ratio * 100, 50.0),
                details=details,
                note=f"{ours.throughput:.0f}/s vs {floor.throughput:.0f}/s",
            )
        )
    return rows
