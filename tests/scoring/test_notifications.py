"""Messages about appraisal periods: closing, appeals, resolutions and publication each tell
the right people, after the change commits, in each recipient's language, with a link."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from pathscore.notify.models import Notification
from pathscore.org.models import User
from pathscore.scoring import services
from pathscore.scoring.models import Period, Result
from tests.scoring.scorecards import (
    make_scorecard,
    register_test_indicators,
    unregister_test_indicators,
)
from tests.scoring.test_engine import add_salesperson

pytestmark = pytest.mark.django_db

START = dt.date(2026, 7, 1)


@pytest.fixture
def values():
    values = register_test_indicators()
    yield values
    unregister_test_indicators()


@pytest.fixture
def team(personas, values):
    """Team A scored by a department scorecard; sales_a reads English, the others the
    company default (Chinese)."""
    make_scorecard(department=personas.team_a)
    sales_c = add_salesperson("sales_c", personas.team_a)
    User.objects.filter(pk=personas.sales_a.pk).update(language="en")
    personas.sales_a.refresh_from_db()
    values.set(personas.sales_a, visits=15, revisions=1, quality=80)
    values.set(sales_c, visits=9, revisions=4, quality=90)
    values.set(personas.manager_a, visits=6, revisions=6, quality=70)
    return sales_c


@pytest.fixture
def period(personas):
    return services.period_create(actor=personas.hr, kind="quarter", starts_on=START)


@pytest.fixture
def closed(personas, team, period, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.period_close(period=period, actor=personas.hr)
    return period


def in_language(language: str, message: str, **values) -> str:
    with translation.override(language):
        return translation.gettext(message) % values


def result_of(period, person):
    period.refresh_from_db()
    return Result.objects.get(period=period, person=person, version=period.version)


def inbox(person):
    return Notification.objects.filter(recipient=person, kind="scoring").order_by("pk")


def test_closing_tells_each_person_with_a_result_in_their_language(personas, closed, team):
    sales_c = team
    result = result_of(closed, personas.sales_a)
    [english] = inbox(personas.sales_a)
    assert english.title == f"{closed.name} is closed: your score is {result.total}"
    deadline = timezone.localtime(services.appeal_deadline(closed)).strftime("%Y-%m-%d %H:%M")
    assert english.body == (
        f"Check it and acknowledge it, or appeal with a reason until {deadline}."
    )
    assert english.url == reverse("scoring:person-score", args=[closed.pk, personas.sales_a.pk])
    [chinese] = inbox(sales_c)
    assert chinese.title == in_language(
        "zh-hans",
        "%(period)s is closed: your score is %(total)s",
        period=closed.name,
        total=result_of(closed, sales_c).total,
    )
    # Everyone frozen is told (the bundled scorecard scores sales_b too); nobody else.
    told = set(Notification.objects.filter(kind="scoring").values_list("recipient", flat=True))
    frozen = set(Result.objects.filter(period=closed).values_list("person", flat=True))
    assert told == frozen
    assert personas.hr.pk not in told and personas.deactivated.pk not in told


def test_an_appeal_tells_the_manager_and_hr(personas, closed, django_capture_on_commit_callbacks):
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.appeal_submit(
            result=result_of(closed, personas.sales_a), person=personas.sales_a, reason="漏算拜访"
        )
    recipients = set(Notification.objects.values_list("recipient", flat=True))
    assert recipients == {personas.manager_a.pk, personas.hr.pk}
    [message] = inbox(personas.manager_a)
    assert message.title == in_language(
        "zh-hans",
        "%(person)s appeals against their score for %(period)s",
        person=personas.sales_a.name,
        period=closed.name,
    )
    assert message.body == "漏算拜访"
    assert message.url == reverse("scoring:appeal-resolve", args=[appeal.pk])


def test_a_managers_appeal_goes_to_their_own_manager(
    personas, closed, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_submit(
            result=result_of(closed, personas.manager_a), person=personas.manager_a, reason="复核"
        )
    recipients = set(Notification.objects.values_list("recipient", flat=True))
    assert recipients == {personas.regional_head.pk, personas.hr.pk}


def test_a_resolution_tells_the_person_the_outcome_and_new_score(
    personas, closed, django_capture_on_commit_callbacks
):
    result = result_of(closed, personas.sales_a)
    appeal = services.appeal_submit(result=result, person=personas.sales_a, reason="漏算")
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_resolve(
            appeal=appeal,
            actor=personas.manager_a,
            upheld=True,
            resolution="补两次拜访",
            points=D("2"),
        )
    [message] = Notification.objects.all()
    result.refresh_from_db()
    assert message.recipient == personas.sales_a
    assert message.title == f"Your appeal for {closed.name} was upheld"
    assert message.body == f"补两次拜访 — your score is now {result.total}."
    assert message.url == reverse("scoring:person-score", args=[closed.pk, personas.sales_a.pk])


def test_publication_tells_each_person(personas, closed, team, django_capture_on_commit_callbacks):
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.period_publish(period=closed, actor=personas.hr)
    result = result_of(closed, personas.sales_a)
    [message] = inbox(personas.sales_a)
    assert message.title == f"{closed.name} is published: your final score is {result.total}"
    assert inbox(team).count() == 1
    frozen = Result.objects.filter(period=closed).count()
    assert Notification.objects.count() == frozen


def test_a_refused_change_tells_nobody(personas, closed, django_capture_on_commit_callbacks):
    Notification.objects.all().delete()
    Period.objects.filter(pk=closed.pk).update(closed_at=timezone.now() - dt.timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.appeal_submit(
            result=result_of(closed, personas.sales_a), person=personas.sales_a, reason="晚了"
        )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.period_publish(period=closed, actor=personas.manager_a)
    assert not Notification.objects.exists()


def test_messages_wait_for_the_commit(personas, team, period, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.period_close(period=period, actor=personas.hr)
    assert not Notification.objects.exists()
    for callback in callbacks:
        callback()
    assert inbox(personas.sales_a).exists()
