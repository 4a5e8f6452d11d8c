"""The stored previous follow-up time (crm.chain): every writer keeps it equal to the
recomputation from the raw rows, and the daily check finds and repairs drift."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pathscore.crm import chain, services, tasks
from pathscore.crm.models import FollowUp
from tests.crm import factories

pytestmark = pytest.mark.django_db


def at(days_ago: float, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=int(days_ago))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def record(author, project, moment, **fields):
    return services.followup_create(
        actor=author,
        project=project,
        occurred_at=moment,
        mode=factories.option("followup_mode", "visit"),
        content="拜访客户，了解用电负荷。",
        **fields,
    )


def recomputed() -> dict[int, dt.datetime | None]:
    """Every follow-up's previous time, recomputed in Python from the raw rows: the chain is
    one author on one project, in time order, ties in id order."""
    rows = FollowUp.objects.order_by("author_id", "project_id", "occurred_at", "pk").values_list(
        "pk", "author_id", "project_id", "occurred_at"
    )
    expected, key, previous = {}, None, None
    for pk, author, project, occurred_at in rows:
        if (author, project) != key:
            key, previous = (author, project), None
        expected[pk] = previous if project is not None else None
        previous = occurred_at
    return expected


def stored() -> dict[int, dt.datetime | None]:
    return dict(FollowUp.objects.values_list("pk", "previous_at"))


def assert_exact():
    assert stored() == recomputed()
    assert chain.chain_check() == []


def test_recording_in_any_order_keeps_every_chain_exact(personas):
    project = factories.project(personas.sales_a)
    other = factories.project(personas.sales_a, name="另一个项目")
    last = record(personas.sales_a, project, at(10))
    assert FollowUp.objects.get(pk=last.pk).previous_at is None
    first = record(personas.sales_a, project, at(30))
    middle = record(personas.sales_a, project, at(20))
    record(personas.sales_a, other, at(25))
    # A tie in time comes after the earlier row (id order): a gap of zero.
    tied = record(personas.sales_a, project, at(20))
    assert_exact()
    previous = stored()
    assert previous[first.pk] is None
    assert previous[middle.pk] == at(30)
    assert previous[tied.pk] == at(20)
    assert previous[last.pk] == at(20)


def test_a_customer_only_follow_up_has_no_chain(personas):
    customer = factories.customer(personas.sales_a)
    for days in (5, 3):
        services.followup_create(
            actor=personas.sales_a,
            customer=customer,
            occurred_at=at(days),
            mode=factories.option("followup_mode", "visit"),
            content="电话回访。",
        )
    assert set(stored().values()) == {None}
    assert_exact()


def test_a_correction_moves_the_follow_up_within_and_across_chains(personas):
    project = factories.project(personas.sales_a)
    other = factories.project(personas.sales_a, project.customer, name="另一个项目")
    rows = [record(personas.sales_a, project, at(days)) for days in (40, 30, 20, 10)]
    record(personas.sales_a, other, at(35))
    record(personas.sales_a, other, at(15))
    services.followup_update(followup=rows[1], actor=personas.sales_a, occurred_at=at(5))
    assert_exact()
    moved = FollowUp.objects.get(pk=rows[2].pk)
    services.followup_update(followup=moved, actor=personas.sales_a, project=other)
    assert_exact()
    assert FollowUp.objects.get(pk=rows[2].pk).previous_at == at(35)


def test_a_bulk_record_links_its_rows_into_the_existing_chains(personas):
    project = factories.project(personas.sales_a)
    record(personas.sales_a, project, at(30))
    record(personas.sales_a, project, at(10))
    visit = factories.option("followup_mode", "visit")
    services.followup_create_many(
        entries=[
            {
                "actor": personas.sales_a,
                "project": project,
                "occurred_at": at(days),
                "mode": visit,
                "content": "导入的历史记录。",
            }
            for days in (20, 40, 5, 20)
        ],
        recorded_by=personas.sales_a,
    )
    assert_exact()


def test_a_corrupted_row_is_found_and_repaired_once(personas):
    project = factories.project(personas.sales_a)
    rows = [record(personas.sales_a, project, at(days)) for days in (30, 20, 10)]
    loose = services.followup_create(
        actor=personas.sales_a,
        customer=project.customer,
        occurred_at=at(3),
        mode=factories.option("followup_mode", "visit"),
        content="电话回访。",
    )
    FollowUp.objects.filter(pk=rows[1].pk).update(previous_at=None)
    FollowUp.objects.filter(pk=rows[0].pk).update(previous_at=at(50))
    FollowUp.objects.filter(pk=loose.pk).update(previous_at=at(4))
    assert chain.chain_check() == sorted([rows[0].pk, rows[1].pk, loose.pk])

    assert tasks.followup_chain_repair.call_local() == {"followups": 3}
    assert_exact()
    # Idempotent: a second run finds nothing to change.
    assert chain.chain_repair() == {"followups": 0}


def test_the_bulk_backfill_equals_the_recomputation(personas):
    project = factories.project(personas.sales_a)
    for days in (30, 20, 20, 10):
        record(personas.sales_a, project, at(days))
    record(personas.sales_b, factories.project(personas.sales_b, name="乙的项目"), at(9))
    FollowUp.objects.update(previous_at=None)
    chain.backfill()
    assert_exact()
