"""The scale generator run several times: the same seed and as-of date give the same
rows, another seed other rows; a database that holds data is refused untouched."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import transaction

from pathscore.crm.models import Customer, FollowUp, Project
from pathscore.demo.scale.generator import SeedRefused, generate
from pathscore.org.models import User
from pathscore.process.models import HandoffTask, NodeInstance

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 26)


def _checksum(rows) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def fingerprint() -> dict[str, str | int]:
    """Counts and checksums of a few columns of the generated tables (ids included)."""
    return {
        "users": _checksum(User.objects.order_by("pk").values_list("pk", "username", "name")),
        "projects": _checksum(
            Project.objects.order_by("pk").values_list(
                "pk", "owner_id", "status", "started_on", "signed_amount", "closed_on"
            )
        ),
        "followups": _checksum(
            FollowUp.objects.order_by("pk").values_list(
                "pk", "author_id", "project_id", "occurred_at", "content", "next_action_date"
            )
        ),
        "nodes": _checksum(
            NodeInstance.objects.order_by("pk").values_list(
                "pk", "state", "planned_due", "completed_on", "score"
            )
        ),
        "tasks": _checksum(
            HandoffTask.objects.order_by("created_at", "source_ref", "title").values_list(
                "project_id", "state", "created_at", "done_at"
            )
        ),
        "followup_count": FollowUp.objects.count(),
    }


def generated(seed: int) -> dict:
    """Generate an XS company, take its fingerprint, roll it back."""
    with transaction.atomic():
        generate(scale="XS", seed=seed, as_of=AS_OF, run_hooks=False)
        result = fingerprint()
        transaction.set_rollback(True)
    assert not FollowUp.objects.exists()
    return result


def test_the_same_seed_and_date_give_the_same_rows_and_another_seed_others():
    first = generated(7)
    assert generated(7) == first
    other = generated(8)
    assert other["followup_count"] == first["followup_count"]
    for table in ("users", "projects", "followups", "nodes"):
        assert other[table] != first[table], table


def test_refuses_a_database_that_holds_people():
    User.objects.create_user(username="someone", name="Someone", password=None)
    with pytest.raises(SeedRefused, match="already holds people"):
        generate(scale="XS", as_of=AS_OF)
    assert User.objects.count() == 1
    assert not Customer.objects.exists()
    assert not Project.objects.exists()


def test_a_failed_write_rolls_the_whole_company_back(monkeypatch):
    from pathscore.demo.scale import bulk

    real = bulk.BulkWriter._execute
    calls = []

    def fail_on_the_follow_ups(self, sql, rows):
        calls.append(sql)
        if "crm_followup" in sql:
            raise RuntimeError("disk full")
        real(self, sql, rows)

    monkeypatch.setattr(bulk.BulkWriter, "_execute", fail_on_the_follow_ups)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(scale="XS", as_of=AS_OF, run_hooks=False)
    assert any("crm_project" in sql for sql in calls)
    assert not User.objects.exists()
    assert not Project.objects.exists()
    assert not FollowUp.objects.exists()


def test_a_failing_after_seed_step_keeps_the_company_and_says_which(monkeypatch):
    from pathscore.demo.scale import generator

    ran = []

    def broken(**_kwargs):
        raise ValueError("boom")

    def fine(**kwargs):
        ran.append(kwargs)

    monkeypatch.setattr(
        generator, "after_seed_hooks", lambda: iter([("process", broken), ("insights", fine)])
    )
    with pytest.raises(generator.AfterSeedFailed, match="after-seed step of process failed"):
        generate(scale="XS", as_of=AS_OF)
    # The company is there, and the step after the broken one still ran.
    assert FollowUp.objects.count() == 1_500
    assert ran and ran[0]["today"] == AS_OF
