"""The demo company's evaluation, and how punctual its salespeople are: the whole demo
(every part, as ``pathscore demo`` loads it), loaded once for the module inside a
transaction that is rolled back at the end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count, Q

from pathscore.demo.loader import load_demo
from pathscore.org.models import User
from pathscore.process.choices import NodeState
from pathscore.process.models import NodeInstance
from pathscore.scoring import engine, indicators
from pathscore.scoring.choices import AppealState, PeriodKind, PeriodState
from pathscore.scoring.models import (
    Adjustment,
    Appeal,
    Attendance,
    Commendation,
    CustomerRating,
    LiveScore,
    Period,
    QualityRating,
    Result,
    TrainingSession,
)
from tests.conftest import ensure_bundled_defaults

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_bundled_defaults()
        ctx = load_demo()
        yield ctx
        transaction.set_rollback(True)


def salespeople(demo) -> list[User]:
    return [person for person in demo.shared["salespeople"] if person.is_active]


def quarters() -> list[Period]:
    return list(Period.objects.filter(kind=PeriodKind.QUARTER).order_by("starts_on"))


def current_results(period: Period, people) -> list[Result]:
    return list(Result.objects.filter(period=period, version=period.version, person__in=people))


def test_two_quarters_published_the_last_reopened_and_the_current_one_open(demo):
    before, last, current = quarters()
    assert current.state == PeriodState.OPEN
    assert current.starts_on <= demo.today <= current.ends_on
    # Consecutive calendar quarters, the current one last.
    assert before.ends_on + dt.timedelta(days=1) == last.starts_on
    assert last.ends_on + dt.timedelta(days=1) == current.starts_on

    assert before.state == PeriodState.PUBLISHED and before.version == 1
    assert before.closed_at < before.published_at
    # Last quarter was published, then reopened by HR as a new version: the published
    # results stay as they were, the new version is under review.
    assert last.state == PeriodState.CLOSED and last.version == 2
    assert last.history.filter(state=PeriodState.PUBLISHED).exists()
    people = salespeople(demo)
    first = {r.person_id: r.total for r in Result.objects.filter(period=last, version=1)}
    second = {r.person_id: r for r in current_results(last, people)}
    assert len(second) == len(people) and set(first) >= set(second)
    assert all(r.change_reason for r in second.values())
    assert sum(1 for pk, r in second.items() if r.total != first[pk]) == 1


def test_ratings_quality_training_and_commendations_exist(demo):
    people = salespeople(demo)
    rated = set(CustomerRating.objects.values_list("person_id", flat=True))
    assert len(rated) >= len(people) - 2
    # A couple of people are weak on the technical side, and customers say so.
    weak = CustomerRating.objects.filter(comment__contains="储能", domain_knowledge__lte=3)
    assert weak.values("person").distinct().count() >= 2
    knowledge = CustomerRating.objects.values("domain_knowledge").distinct().count()
    assert knowledge >= 3

    quality = QualityRating.objects.all()
    assert quality.count() >= 30
    engineers = {e.pk for e in demo.shared["engineers"]}
    assert set(quality.values_list("rated_by_id", flat=True)) <= engineers
    assert set(quality.values_list("person_id", flat=True)) <= {p.pk for p in people}

    past = TrainingSession.objects.filter(held_on__lt=demo.today)
    assert past.count() >= 6
    attendance = Attendance.objects.filter(session__in=past, required=True)
    attended = attendance.filter(attended=True).count()
    assert 0.7 * attendance.count() <= attended < attendance.count()  # most, not all
    upcoming = TrainingSession.objects.filter(held_on__gt=demo.today)
    assert upcoming.count() == 2
    assert Attendance.objects.filter(session__in=upcoming, assigned_by__isnull=False).exists()
    assert all(course.indicators for course in {s.course for s in TrainingSession.objects.all()})

    commendations = Commendation.objects.all()
    assert commendations.count() >= 3
    assert all(c.given_on <= demo.today and c.period_id for c in commendations)


def test_one_appeal_waits_for_the_manager_and_adjustments_have_reasons(demo):
    open_appeals = Appeal.objects.filter(state=AppealState.OPEN).select_related(
        "result__period", "result__person"
    )
    assert open_appeals.count() == 1
    appeal = open_appeals.get()
    assert appeal.result.person.username == "wangfang"
    period = appeal.result.period
    assert period.state == PeriodState.CLOSED and appeal.result.version == period.version
    # The manager sees it on their to-do, still within the deadline.
    manager = User.objects.get(username="liqiang")
    assert Appeal.objects.visible_to(manager).filter(pk=appeal.pk).exists()
    assert appeal.submitted_at > period.closed_at
    assert "客户" in appeal.reason

    resolved = Appeal.objects.exclude(state=AppealState.OPEN)
    assert {a.state for a in resolved} == {AppealState.UPHELD, AppealState.REJECTED}
    assert all(a.resolution and a.resolved_by_id for a in resolved)

    adjustments = Adjustment.objects.select_related("result__period")
    assert adjustments.count() >= 1
    assert all(a.reason and a.made_by_id != a.result.person_id for a in adjustments)
    on_review = adjustments.filter(result__period=period, result__version=period.version)
    assert on_review.filter(made_by__username="liqiang").exists()


def test_closed_quarters_have_a_real_spread_between_people(demo):
    before, last, _current = quarters()
    people = salespeople(demo)
    for period in (before, last):
        totals = [r.total for r in current_results(period, people)]
        assert len(totals) == len(people)
        assert max(totals) - min(totals) >= 10
        assert sum(1 for total in totals if total >= 40) >= len(people) * 2 // 3
    wangfang = Result.objects.get(period=last, version=last.version, person__username="wangfang")
    points = [item["points"] for item in wangfang.items if item["points"] is not None]
    assert len(set(points)) >= 5 and Decimal(wangfang.total) > 40


def test_the_current_quarter_scores_live(demo):
    current = quarters()[-1]
    people = salespeople(demo)
    scores = engine.evaluate(people, current, use_cache=False)
    totals = [score.total for score in scores.values()]
    assert len(totals) == len(people)
    assert max(totals) - min(totals) >= 10 and min(totals) > 0


def test_the_dashboard_ranking_is_stored_for_the_current_quarter(demo):
    """The demo stores the live scores the dashboard ranks, as the periodic job would, so
    the first visit shows a ranking; they agree with the engine."""
    current = quarters()[-1]
    people = salespeople(demo)
    stored = dict(
        LiveScore.objects.filter(period=current, person__in=people).values_list("person", "total")
    )
    live = engine.evaluate(people, current, use_cache=False)
    assert stored and stored == {pk: score.total for pk, score in live.items()}
    assert not LiveScore.objects.exclude(period=current).exists()


def test_salespeople_are_mostly_on_time_some_more_than_others(demo):
    people = salespeople(demo)
    start = demo.today - dt.timedelta(days=400)
    rates = indicators.compute("node_on_time_rate", [p.pk for p in people], start, demo.today, {})
    assert len(rates) >= len(people) - 1
    counts = NodeInstance.objects.filter(
        state=NodeState.APPROVED, submitted_by__in=people
    ).aggregate(total=Count("pk"), on_time=Count("pk", filter=Q(days_late=0)))
    overall = counts["on_time"] / counts["total"]
    assert 0.5 <= overall <= 0.9
    assert max(rates.values()) - min(rates.values()) >= 15
    # Late nodes have their reasons, and some node kinds run late more than others.
    late = NodeInstance.objects.filter(state=NodeState.APPROVED, days_late__gt=0)
    assert late.filter(delay_reasons__isnull=False).distinct().count() >= late.count() // 2
    by_kind = (
        NodeInstance.objects.filter(state=NodeState.APPROVED)
        .values("definition__code")
        .annotate(total=Count("pk"), late=Count("pk", filter=Q(days_late__gt=0)))
    )
    shares = {row["definition__code"]: row["late"] / row["total"] for row in by_kind}
    assert shares["proposal-demo"] > shares["first-visit"]
