"""Putting the company together: the phases in order, inside one transaction.

1. organisation — departments, people, roles;
2. customers — customers, contacts, and the plan of which project each brings when;
3. planning — every project's path through its process, to learn how long each ran;
4. projects — each project with its follow-ups (2,000,000 at scale L, shared out by how
   long a project ran, how active its owner is, and chance), documents, process, tasks;
5. evaluation — customer ratings, training, commendations, the four quarters;
6. closing — the oldest quarter closed and published with the engine's results.

Planner statistics before the closing; after the commit a vacuum (PostgreSQL) and each
app's ``after_seed`` hook — what its periodic jobs would have done by now (learn the
stall thresholds, detect the alerts).

Deterministic: the same seed and the same as-of date give the same rows, ids included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import logging
import time
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from pathscore.crm.active import backfill_active
from pathscore.crm.chain import backfill as backfill_chains
from pathscore.crm.chain import backfill_planned
from pathscore.crm.demo import _pdf as sample_pdf
from pathscore.crm.joint import backfill_joint
from pathscore.crm.models import FollowUp
from pathscore.demo.scale import customers, evaluation, org
from pathscore.demo.scale.bulk import (
    BulkWriter,
    DeferredIndexes,
    analyze,
    check_foreign_keys,
    loading_mode,
    moment,
    relax_foreign_keys,
    restore_foreign_keys,
    settle_foreign_keys,
    vacuum,
)
from pathscore.demo.scale.progress import Progress
from pathscore.demo.scale.projects import ProjectWriter
from pathscore.demo.scale.sizes import SCALES, Scale, apportion
from pathscore.demo.scale.world import World
from pathscore.insights.rollups import rollup_rebuild
from pathscore.process import bundled
from pathscore.process.models import AutomationRule

logger = logging.getLogger(__name__)

#: The seed used unless another is given: the same company every time.
DEFAULT_SEED = 20261126
#: The one file every generated document version points at (metadata rows only).
SAMPLE_DOCUMENT = "documents/scale/sample.pdf"
#: When the bundled automation rules were switched on, before the as-of date: the
#: customer-need rule is recent, the other two older than the history.
RULE_INTRODUCED_DAYS = {"node_approved": None, "document_feedback": None, "customer_need": 60}


class SeedRefused(Exception):
    """The database is not empty; nothing was written."""


class AfterSeedFailed(Exception):
    """The company is committed, but an app's after-seed step failed."""

    def __init__(self, message: str, *, summary: Summary):
        super().__init__(message)
        self.summary = summary


@dataclass
class Summary:
    scale: Scale
    seed: int
    as_of: dt.date
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    people: dict[str, list] = field(default_factory=dict)
    phases: list = field(default_factory=list)


def business_data_present() -> str | None:
    """What the database already holds that a generated company would collide with."""
    from pathscore.crm.models import Customer
    from pathscore.org.models import Department, User

    for model, what in ((User, "people"), (Department, "departments"), (Customer, "customers")):
        if model.objects.exists():
            return what
    return None


def _sample_document() -> dict:
    content = sample_pdf("Pathscore sample document")
    if not default_storage.exists(SAMPLE_DOCUMENT):
        default_storage.save(SAMPLE_DOCUMENT, ContentFile(content))
    return {
        "name": SAMPLE_DOCUMENT,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def _automation_rules(world: World, writer) -> dict[str, dict]:
    """The three bundled rules, switched on when they were introduced."""
    sink = writer.sink(
        AutomationRule,
        [
            "id",
            "created_at",
            "updated_at",
            "name",
            "event",
            "node_code",
            "document_kind",
            "task_kind_id",
            "assignee_department_id",
            "due_days",
        ],
    )
    rules = {}
    for name, event, node_code, document_kind, kind_code, due_days in bundled.AUTOMATION_RULES:
        if kind_code not in world.task_kinds:
            continue
        back = RULE_INTRODUCED_DAYS.get(event)
        introduced = (
            world.as_of - dt.timedelta(days=back) if back else world.start - dt.timedelta(days=30)
        )
        rule_id = sink.new_id()
        at = moment(world.at(introduced, 9))
        sink.add(
            (
                rule_id,
                at,
                at,
                name,
                event,
                node_code,
                document_kind,
                world.task_kinds[kind_code].pk,
                world.tech_department_id,
                due_days,
            )
        )
        rules[event] = {
            "id": rule_id,
            "name": name,
            "event": event,
            "due_days": due_days,
            "introduced": introduced,
        }
    return rules


def _share_followups(world: World, specs, paths_end: list[dt.date]) -> list[int]:
    """How many follow-ups each project gets: at least the first visit, the rest shared
    by how long the project ran, how active its owner is, and chance (long-tailed)."""
    rng = world.rng("followups")
    weights = []
    for spec, end in zip(specs, paths_end, strict=True):
        days = max((end - spec.start).days, 0) + 5
        weights.append(days * spec.owner.weight**0.5 * rng.lognormvariate(0, 0.5))
    total = world.scale.followups
    extra = apportion(max(total - len(specs), 0), weights)
    if total < len(specs):
        return [1 if i < total else 0 for i in range(len(specs))]
    return [1 + n for n in extra]


def _people_summary(world: World) -> dict[str, list]:
    first_team = world.teams[0]
    sellers = sorted((p for p in first_team.members if p.left_on is None), key=lambda p: -p.weight)
    return {
        "salesperson": [sellers[0].username, sellers[-1].username] if sellers else [],
        "manager": [first_team.manager.username],
        "region head": [world.people["region_heads"][0].username],
        "sales director": [world.people["director"][0].username],
        "executive": [world.people["executives"][0].username],
        "hr admin": [world.people["hr"][0].username],
        "technical support": [world.people["engineers"][0].username],
        "system admin": [world.people["admin"][0].username],
        "auditor": [world.people["auditor"][0].username],
    }


def after_seed_hooks():
    """Each app's ``after_seed(today=…, now=…)`` in its demo module, in layer order."""
    for config in apps.get_app_configs():
        if not config.name.startswith("pathscore."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.demo":
                raise
            continue
        hook = getattr(module, "after_seed", None)
        if hook is not None:
            yield config.label, hook


def _generate(world: World, writer: BulkWriter, summary: Summary, progress, document_file):
    scale = world.scale
    relaxed = relax_foreign_keys()
    with progress.phase("organisation", org.headcount(scale)) as phase:
        org.build(world, writer, phase)
        writer.flush()
    rules = _automation_rules(world, writer)
    with progress.phase("customers", scale.customers) as phase:
        specs = customers.build(world, writer, phase)
        writer.flush()
    projects = ProjectWriter(world, writer, rules, document_file)
    for spec in specs:
        spec.id = projects.projects.new_id()
    with progress.phase("planning", len(specs)) as phase:
        ends = []
        for spec in specs:
            ends.append(projects.plan(spec).end_day(world.last_day))
            phase.advance()
    shares = _share_followups(world, specs, ends)
    del ends
    writer.drain()
    indexes = DeferredIndexes([sink.model for sink in writer.sinks])
    indexes.drop()
    with progress.phase("projects, follow-ups", sum(shares)) as phase:
        for spec, count in zip(specs, shares, strict=True):
            projects.write(spec, count)
            phase.advance(count)
        writer.flush()
        writer.drain()
    with progress.phase("follow-up chains and flags", 4) as phase:
        # Each follow-up's previous one in its chain (crm.chain) and whether its project is
        # active (crm.active), set-based, before the indexes that hold them are built.
        backfill_chains()
        backfill_active()
        phase.advance(2)
        # Planned (crm.chain) and joint (crm.joint) probe the chain's next actions and the
        # participants: the one index the first needs is built ahead of the others, and
        # both flags are written while the table's other indexes are still away (with
        # them, PostgreSQL took 3.4 min instead of about one at L).
        indexes.build_now(
            "crm_followup_planned", tables=[FollowUp.participants.through._meta.db_table]
        )
        backfill_planned()
        phase.advance()
        backfill_joint()
        phase.advance()
    with progress.phase("indexes", len(indexes.saved)) as phase:
        if not relaxed:
            settle_foreign_keys()
        indexes.rebuild(phase)
    people = len(world.people["salespeople"]) + len(world.people["departed"])
    with progress.phase("ratings, training", people + len(world.teams)) as phase:
        evaluation.build(world, writer, projects.projects_by_person, phase)
        period_ids = evaluation.periods(world, writer)
        summary.rows = writer.finish()
        summary.rows["node instances"] = projects.counts["nodes"]
        if relaxed or connection.vendor == "sqlite":
            check_foreign_keys([sink.model for sink in writer.sinks])
        if relaxed:
            restore_foreign_keys()
    with progress.phase("rollups", 1) as phase:
        # Projects and follow-ups were written in bulk, past the services: count them once,
        # set-based.
        rollup_rebuild()
        phase.advance()
    with progress.phase("statistics", 1) as phase:
        analyze()
        phase.advance()
    with progress.phase("closing quarters", evaluation.CLOSED_QUARTERS) as phase:
        summary.rows["scoring_result"] = evaluation.close_past_quarters(world, period_ids, phase)


def generate(
    *,
    scale: Scale | str,
    seed: int = DEFAULT_SEED,
    as_of: dt.date | None = None,
    password: str | None = None,
    progress: Progress | None = None,
    run_hooks: bool = True,
) -> Summary:
    """Generate a company of ``scale`` into the (empty) database."""
    scale = SCALES[scale] if isinstance(scale, str) else scale
    progress = progress or Progress(None)
    present = business_data_present()
    if present:
        raise SeedRefused(
            f"The database already holds {present}. Generate a company only into an empty "
            "database (set PATHSCORE_DATA_DIR to a new folder, or use another database)."
        )
    started = time.monotonic()
    as_of = as_of or timezone.localdate()
    world = World(
        scale=scale,
        seed=seed,
        as_of=as_of,
        password_hash=make_password(password or settings.PATHSCORE_DEMO_PASSWORD),
    )
    world.load_installation()
    document_file = _sample_document()
    summary = Summary(scale=scale, seed=seed, as_of=as_of)
    with loading_mode(), transaction.atomic():
        writer = BulkWriter()
        try:
            _generate(world, writer, summary, progress, document_file)
        finally:
            # Never leave the writer thread working while the transaction ends.
            writer.close()
    with progress.phase("vacuum", 1) as phase:
        vacuum()
        phase.advance()
    failed = []
    if run_hooks:
        for label, hook in after_seed_hooks():
            with progress.phase(f"after seed: {label}", 1) as phase:
                try:
                    hook(today=as_of, now=world.now.replace(tzinfo=dt.UTC))
                except Exception:
                    # The company is committed; the other apps' hooks still run.
                    logger.exception("the after-seed step of %s failed", label)
                    failed.append(label)
                phase.advance()
    summary.people = _people_summary(world)
    summary.seconds = time.monotonic() - started
    summary.phases = list(progress.phases)
    if failed:
        raise AfterSeedFailed(
            f"The company is loaded, but the after-seed step of {', '.join(failed)} failed "
            "(see the log above); run that app's periodic jobs to catch up.",
            summary=summary,
        )
    return summary
