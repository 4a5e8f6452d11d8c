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


def recomputed() -> dict[int, tuple[dt.datetime | None, bool]]:
    """Every follow-up's previous time and planned flag, recomputed in Python from the raw
    rows: the chain is one author on one project, in time order, ties in id order; a
    follow-up is planned when an earlier one of its chain planned a next action for a day
    within three days of its own (the company's local days)."""
    zone = timezone.get_default_timezone()
    rows = FollowUp.objects.order_by("author_id", "project_id", "occurred_at", "pk").values_list(
        "pk", "author_id", "project_id", "occurred_at", "next_action", "next_action_date"
    )
    expected, key, earlier = {}, None, []
    for pk, author, project, occurred_at, action, action_date in rows:
        if (author, project) != key:
            key, earlier = (author, project), []
        day = timezone.localtime(occurred_at, zone).date()
        planned = project is not None and any(
            when < occurred_at and plan and abs((planned_for - day).days) <= 3
            for when, plan, planned_for in earlier
        )
        previous = earlier[-1][0] if earlier and project is not None else None
        expected[pk] = (previous, planned)
        earlier.append((occurred_at, action, action_date))
    return expected


def stored() -> dict[int, tuple[dt.datetime | None, bool]]:
    return {
        pk: (previous, planned)
        for pk, previous, planned in FollowUp.objects.values_list("pk", "previous_at", "planned")
    }


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
    previous = {pk: found[0] for pk, found in stored().items()}
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
    assert set(stored().values()) == {(None, False)}
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


def test_a_follow_up_near_a_planned_next_action_is_planned(personas):
    project = factories.project(personas.sales_a)
    today = timezone.localdate()
    plan = record(
        personas.sales_a,
        project,
        at(20),
        next_action="送技术方案",
        next_action_date=today - dt.timedelta(days=12),
    )
    near = record(personas.sales_a, project, at(10))  # two days off the plan
    later = record(personas.sales_a, project, at(5))  # seven days off
    # Someone else's follow-up on the project does not carry out this author's plan.
    other = record(personas.sales_b, factories.project(personas.sales_b, name="乙的项目"), at(10))
    assert_exact()
    assert [stored()[row.pk][1] for row in (plan, near, later, other)] == [
        False,
        True,
        False,
        False,
    ]
    # The plan moves: the flags follow.
    services.followup_update(
        followup=plan, actor=personas.sales_a, next_action_date=today - dt.timedelta(days=6)
    )
    assert_exact()
    assert [stored()[row.pk][1] for row in (near, later)] == [False, True]
    # A plan recorded after the fact (a follow-up dated earlier) plans the later ones.
    record(
        personas.sales_a,
        project,
        at(30),
        next_action="再次拜访",
        next_action_date=today - dt.timedelta(days=9),
    )
    assert_exact()
    assert stored()[near.pk][1] is True
    # The plan's own day is far from the plan: moving it next to it does not plan itself.
    services.followup_update(
        followup=FollowUp.objects.get(pk=plan.pk), actor=personas.sales_a, occurred_at=at(6)
    )
    assert_exact()


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
                "next_action": "电话回访" if days == 40 else "",
                "next_action_date": (
                    timezone.localdate() - dt.timedelta(days=31) if days == 40 else None
                ),
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
    FollowUp.objects.filter(pk=rows[2].pk).update(planned=True)
    assert chain.chain_check() == sorted([rows[0].pk, rows[1].pk, rows[2].pk, loose.pk])

    assert tasks.followup_chain_repair.call_local() == {"followups": 4, "joint": 0, "active": 0}
    assert_exact()
    # Idempotent: a second run finds nothing to change.
    assert chain.chain_repair() == {"followups": 0}


def test_the_bulk_backfill_equals_the_recomputation(personas):
    project = factories.project(personas.sales_a)
    plan_for = timezone.localdate() - dt.timedelta(days=21)
    record(personas.sales_a, project, at(30), next_action="回访", next_action_date=plan_for)
    for days in (20, 20, 10):
        record(personas.sales_a, project, at(days))
    record(personas.sales_b, factories.project(personas.sales_b, name="乙的项目"), at(9))
    assert FollowUp.objects.filter(planned=True).count() == 2  # both at 20 days
    FollowUp.objects.update(previous_at=None, planned=False)
    chain.backfill()
    assert chain.backfill_planned() == 2
    assert_exact()


def test_the_plan_window_counts_local_days_in_a_zone_with_summer_time(personas, settings):
    # Berlin changes its offset in spring and autumn: SQLite cannot add one fixed offset,
    # so the exact per-row conversion is used; PostgreSQL converts natively either way.
    settings.TIME_ZONE = "Europe/Berlin"
    project = factories.project(personas.sales_a)
    today = timezone.localdate()
    for days in (200, 120, 40):
        record(
            personas.sales_a,
            project,
            at(days, hour=23),
            next_action="回访",
            next_action_date=today - dt.timedelta(days=days - 3),
        )
        record(personas.sales_a, project, at(days - 3, hour=0))
        record(personas.sales_a, project, at(days - 7, hour=1))
    assert_exact()
    assert FollowUp.objects.filter(planned=True).count() == 3
