"""Suggested training: the weakest indicators, the courses mapped to them and their
upcoming sessions; assignment by the manager or HR; a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pathscore.scoring import engine, indicators, selectors, services
from pathscore.scoring.models import Attendance, TrainingCourse, TrainingSession
from tests.scoring.scorecards import (
    make_scorecard,
    register_test_indicators,
    unregister_test_indicators,
)
from tests.scoring.test_engine import add_salesperson

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def values():
    values = register_test_indicators()
    yield values
    unregister_test_indicators()


@pytest.fixture
def team(personas, values):
    """Live points under the test scorecard (see test_report for the arithmetic):
    sales_a 100 / 100 / 50, sales_c visits 60, revisions 50, quality 83.33."""
    make_scorecard(department=personas.team_a)
    sales_c = add_salesperson("sales_c", personas.team_a)
    values.set(personas.sales_a, visits=15, revisions=1, quality=80)
    values.set(sales_c, visits=9, revisions=4, quality=90)
    values.set(personas.manager_a, visits=6, revisions=6, quality=70)
    return sales_c


@pytest.fixture
def period(personas):
    today = timezone.localdate()
    return services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=30),
        name="本期",
    )


def _session(course, days):
    return TrainingSession.objects.create(
        course=course, held_on=timezone.localdate() + dt.timedelta(days=days), location="三楼"
    )


@pytest.fixture
def courses():
    """Proposal writing helps revisions (one past, one upcoming session); customer
    visits help visits and quality (two upcoming); an inactive course and one for an
    indicator off the scorecard are never suggested."""
    writing = TrainingCourse.objects.create(
        code="writing", name="方案写作", indicators=["t_revisions"]
    )
    visiting = TrainingCourse.objects.create(
        code="visiting", name="客户拜访", indicators=["t_visits", "t_quality"]
    )
    TrainingCourse.objects.create(
        code="retired", name="旧课程", indicators=["t_revisions"], is_active=False
    )
    TrainingCourse.objects.create(code="other", name="其他", indicators=["followup_count"])
    return {
        "writing": writing,
        "visiting": visiting,
        "writing_past": _session(writing, -5),
        "writing_next": _session(writing, 5),
        "visiting_soon": _session(visiting, 10),
        "visiting_later": _session(visiting, 20),
    }


def card_url(period, person):
    return reverse("scoring:score-training", args=[period.pk, person.pk])


def assign_url(period, person, session):
    return reverse("scoring:training-assign", args=[period.pk, person.pk, session.pk])


# --- The selector ---------------------------------------------------------------------------


def _item(code, points, weight, dimension="process"):
    return {"indicator": code, "dimension": dimension, "points": points, "weight": weight}


def test_weakest_are_the_lowest_below_full_marks_ties_by_weight():
    items = [
        _item("a", "100.00", "20"),
        _item("b", "50.00", "30"),  # share 30 × 60 / 100 = 18
        _item("c", "50.00", "70", "ability"),  # share 70 × 40 / 100 = 28
        _item("d", None, "50"),  # does not apply
        _item("e", "10.00", "5"),
        _item("f", "90.00", "40", "ability"),
    ]
    weakest = selectors.weakest_indicators(items, {"process": "60", "ability": "40"})
    assert [(w.code, w.points, w.share) for w in weakest] == [
        ("e", D("10.00"), D("3")),
        ("c", D("50.00"), D("28")),
        ("b", D("50.00"), D("18")),
    ]
    assert selectors.weakest_indicators([_item("a", "100", "100")]) == []


def test_suggestions_for_a_hand_built_scenario(personas, team, period, courses):
    Attendance.objects.create(session=courses["visiting_later"], person=team, required=True)
    score = engine.evaluate([team], period, use_cache=False)[team.pk]
    suggestions = selectors.suggested_training(
        team, score.items, viewer=personas.manager_a, dimension_weights=score.dimension_weights
    )
    assert [(w.code, w.points) for w in suggestions.weakest] == [
        ("t_revisions", D("50.00")),
        ("t_visits", D("60.00")),
        ("t_quality", D("83.33")),
    ]
    assert [
        (
            c.course.code,
            [w.code for w in c.helps],
            [(s.session.pk, s.assigned) for s in c.sessions],
        )
        for c in suggestions.courses
    ] == [
        ("writing", ["t_revisions"], [(courses["writing_next"].pk, False)]),
        (
            "visiting",
            ["t_visits", "t_quality"],
            [(courses["visiting_soon"].pk, False), (courses["visiting_later"].pk, True)],
        ),
    ]


def test_selector_queries_do_not_grow_with_courses_and_sessions(personas, team, period, courses):
    items = engine.evaluate([team], period, use_cache=False)[team.pk].items

    def count():
        with CaptureQueriesContext(connection) as context:
            selectors.suggested_training(team, items, viewer=personas.hr)
        return len(context.captured_queries)

    few = count()
    assert few == 3  # courses, sessions, the person's attendances
    for n in range(5):
        course = TrainingCourse.objects.create(
            code=f"more-{n}", name=f"课程{n}", indicators=["t_visits"]
        )
        for days in (3, 6, 9):
            Attendance.objects.create(session=_session(course, days), person=team)
    assert count() == few


# --- The card and assignment ------------------------------------------------------------------


def test_the_score_page_loads_the_card(personas, login, team, period, courses):
    body = login(team).get(reverse("scoring:person-score", args=[period.pk, team.pk]))
    html = body.content.decode()
    assert f'hx-get="{card_url(period, team)}"' in html
    assert 'hx-trigger="load"' in html


def test_the_person_sees_suggestions_without_the_button(personas, login, team, period, courses):
    response = login(team).get(card_url(period, team), **HTMX)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'data-testid="course-writing"' in html and 'data-testid="course-visiting"' in html
    assert 'data-testid="course-retired"' not in html and 'data-testid="course-other"' not in html
    assert f'data-testid="session-{courses["writing_next"].pk}"' in html
    assert f'data-testid="session-{courses["writing_past"].pk}"' not in html
    assert 'data-testid="assign-' not in html
    assert "<html" not in html  # the card alone, for htmx


def test_the_manager_assigns_a_session(personas, login, team, period, courses):
    client = login(personas.manager_a)
    session = courses["writing_next"]
    html = client.get(card_url(period, team), **HTMX).content.decode()
    assert f'data-testid="assign-{session.pk}"' in html
    response = client.post(assign_url(period, team, session), **HTMX)
    assert response.status_code == 200
    attendance = Attendance.objects.get(session=session, person=team)
    assert (attendance.required, attendance.attended, attendance.assigned_by) == (
        True,
        False,
        personas.manager_a,
    )
    assert period.name in attendance.reason
    html = response.content.decode()
    assert f'data-testid="assigned-{session.pk}"' in html
    assert f'data-testid="assign-{session.pk}"' not in html
    assert 'data-testid="assign-done"' in html
    # The assignment is a required session, which the participation rate counts once it
    # has been held (a session still to come is not missed yet).
    rate = indicators.compute(
        "training_participation_rate", [team.pk], period.starts_on, period.ends_on
    )
    assert rate[team.pk] is None
    type(session).objects.filter(pk=session.pk).update(held_on=timezone.localdate())
    rate = indicators.compute(
        "training_participation_rate", [team.pk], period.starts_on, period.ends_on
    )
    assert rate[team.pk] == D(0)
    attendance.attended = True
    attendance.save()
    rate = indicators.compute(
        "training_participation_rate", [team.pk], period.starts_on, period.ends_on
    )
    assert rate[team.pk] == D(100)


def test_assignment_without_htmx_returns_to_the_score_page(personas, login, team, period, courses):
    response = login(personas.hr).post(assign_url(period, team, courses["visiting_soon"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:person-score", args=[period.pk, team.pk])
    assert Attendance.objects.filter(session=courses["visiting_soon"], person=team).exists()


def test_a_salesperson_cannot_assign(personas, login, team, period, courses):
    response = login(team).post(assign_url(period, team, courses["writing_next"]), **HTMX)
    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_another_team_is_404(personas, login, team, period, courses):
    client = login(personas.manager_b)
    assert client.get(card_url(period, team), **HTMX).status_code == 404
    response = client.post(assign_url(period, team, courses["writing_next"]), **HTMX)
    assert response.status_code == 404
    assert login(personas.sales_a).get(card_url(period, team)).status_code == 404
    assert not Attendance.objects.exists()


def test_a_past_session_is_refused(personas, login, team, period, courses):
    response = login(personas.manager_a).post(
        assign_url(period, team, courses["writing_past"]), **HTMX
    )
    assert response.status_code == 200
    assert 'data-testid="assign-error"' in response.content.decode()
    assert not Attendance.objects.exists()


def test_no_course_mapped_says_so_and_hr_gets_the_course_list(personas, login, team, period):
    course_list = reverse("scoring:course-list")
    html = login(personas.hr).get(card_url(period, team), **HTMX).content.decode()
    assert 'data-testid="no-course"' in html and course_list in html
    html = login(personas.manager_a).get(card_url(period, team), **HTMX).content.decode()
    assert 'data-testid="no-course"' in html and course_list not in html


def test_the_card_is_a_page_without_javascript(personas, login, team, period, courses):
    response = login(personas.manager_a).get(card_url(period, team))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and 'data-testid="training-card"' in html
    assert reverse("scoring:person-score", args=[period.pk, team.pk]) in html


def test_the_card_takes_a_fixed_number_of_queries(
    personas, login, team, period, courses, django_assert_max_num_queries
):
    client = login(personas.manager_a)
    client.get(card_url(period, team), **HTMX)  # the session's first request
    with CaptureQueriesContext(connection) as few:
        client.get(card_url(period, team), **HTMX)
    for n in range(4):
        course = TrainingCourse.objects.create(
            code=f"extra-{n}", name=f"课程{n}", indicators=["t_revisions"]
        )
        _session(course, 7)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(card_url(period, team), **HTMX)


# --- Through the API -----------------------------------------------------------------------


def test_the_api_suggests_training_and_the_manager_assigns_it(
    personas, login, team, period, courses
):
    client = login(personas.manager_a)
    url = f"/api/v1/periods/{period.pk}/suggested-training/"
    body = client.get(url, {"person": team.pk}).json()
    assert body["person"] == team.pk
    assert [w["code"] for w in body["weakest"]][:1] == ["t_revisions"]
    by_code = {course["code"]: course for course in body["courses"]}
    assert set(by_code) == {"writing", "visiting"}
    upcoming = courses["writing_next"]
    assert [s["id"] for s in by_code["writing"]["sessions"]] == [upcoming.pk]
    assert by_code["writing"]["sessions"][0]["assigned"] is False

    assigned = client.post(
        f"/api/v1/training-sessions/{upcoming.pk}/assign/",
        {"person": team.pk, "reason": "方案修改次数偏多"},
        content_type="application/json",
    )
    assert assigned.status_code == 200, assigned.json()
    attendance = Attendance.objects.get(session=upcoming, person=team)
    assert attendance.required and attendance.assigned_by == personas.manager_a
    body = client.get(url, {"person": team.pk}).json()
    writing = next(c for c in body["courses"] if c["code"] == "writing")
    assert writing["sessions"][0]["assigned"] is True


def test_the_api_keeps_suggestions_and_assignments_in_scope(personas, login, team, period, courses):
    url = f"/api/v1/periods/{period.pk}/suggested-training/"
    # Another team's manager: the person is not theirs to see.
    assert login(personas.manager_b).get(url, {"person": team.pk}).status_code == 404
    # A salesperson sees their own suggestions, not a teammate's, and cannot assign.
    own = login(personas.sales_a)
    assert own.get(url, {"person": personas.sales_a.pk}).status_code == 200
    assert own.get(url, {"person": team.pk}).status_code == 404
    refused = own.post(
        f"/api/v1/training-sessions/{courses['writing_next'].pk}/assign/",
        {"person": personas.sales_a.pk},
        content_type="application/json",
    )
    assert refused.status_code == 403
    missing = login(personas.manager_a).get(url)
    assert missing.status_code == 400 and "person" in missing.json()["errors"]
