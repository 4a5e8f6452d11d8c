"""Privacy (PIPL): a salesperson sees no other person's scores, not even a teammate's;
nothing a signed-in person receives may be cached; every automatic score keeps its inputs
and the version of the rule that made it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pathscore.core.choices import Role
from pathscore.org import services as org
from tests.core.test_authorization_matrix import (  # noqa: F401 (the fixture)
    EXEMPT,
    _get,
    _readable,
    routes,
    values_for,
    world,
)

pytestmark = pytest.mark.django_db

TEAMMATE = "孙同队"


@pytest.fixture
def teammates(personas):
    """sales_a and a teammate in team A, both with a closed result."""
    from pathscore.scoring import services as scoring
    from pathscore.scoring.models import Result

    mate = org.user_create(
        username="sales_mate",
        name=TEAMMATE,
        password=None,
        roles=[Role.SALESPERSON],
        department=personas.team_a,
    )
    today = timezone.localdate()
    period = scoring.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today - dt.timedelta(days=1),
        name="隐私考核期",
    )
    scoring.period_close(period=period, actor=personas.hr)
    own = Result.objects.get(period=period, person=personas.sales_a)
    theirs = Result.objects.get(period=period, person=mate)
    return period, mate, own, theirs


def test_a_salesperson_sees_no_teammates_score(personas, login, teammates):
    period, mate, own, theirs = teammates
    client = login(personas.sales_a)
    listed = client.get("/api/v1/results/").json()["results"]
    assert [row["id"] for row in listed] == [own.pk]
    assert client.get(f"/api/v1/results/{theirs.pk}/").status_code == 404
    for url in (
        f"/scoring/periods/{period.pk}/people/{mate.pk}/",
        f"/scoring/periods/{period.pk}/people/{mate.pk}/evidence/followup_count/",
        f"/scoring/periods/{period.pk}/people/{mate.pk}/training/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/scoring/periods/{period.pk}/report.xlsx").status_code in (403, 404)
    # Every evaluation page and report a salesperson can open leaves the teammate out.
    for url in (
        "/scoring/me/",
        f"/scoring/periods/{period.pk}/people/{personas.sales_a.pk}/",
        f"/scoring/periods/{period.pk}/",
        "/scoring/periods/",
        "/insights/",
        "/insights/reports/evaluation/",
        "/",
    ):
        response = client.get(url, follow=True)
        assert response.status_code in (200, 403, 404), url
        assert TEAMMATE not in response.content.decode(), url
    # Their manager does see both.
    manager = login(personas.manager_a)
    assert {r["id"] for r in manager.get("/api/v1/results/").json()["results"]} >= {
        own.pk,
        theirs.pk,
    }


def test_stored_live_scores_follow_the_same_rule(personas, login):
    """The dashboard ranks by stored live scores: a salesperson reads only their own row
    (and never reaches the ranking), a manager their subtree's, HR and executives all."""
    from pathscore.scoring import services as scoring
    from pathscore.scoring.models import LiveScore

    mate = org.user_create(
        username="sales_mate",
        name=TEAMMATE,
        password=None,
        roles=[Role.SALESPERSON],
        department=personas.team_a,
    )
    today = timezone.localdate()
    period = scoring.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=10),
        name="实时考核期",
    )
    scoring.live_scores_refresh(period)
    everyone = set(LiveScore.objects.filter(period=period).values_list("person", flat=True))
    assert {personas.sales_a.pk, mate.pk, personas.sales_b.pk} <= everyone

    def seen(user) -> set[int]:
        return set(LiveScore.objects.visible_to(user).values_list("person", flat=True))

    assert seen(personas.sales_a) == {personas.sales_a.pk}
    assert seen(mate) == {mate.pk}
    assert {personas.sales_a.pk, mate.pk} <= seen(personas.manager_a)
    assert personas.sales_b.pk not in seen(personas.manager_a)
    assert seen(personas.hr) == seen(personas.executive) == everyone

    response = login(personas.sales_a).get("/insights/", follow=True)
    assert TEAMMATE not in response.content.decode()
    ranked = login(personas.manager_b).get("/insights/").context["ranked"]
    assert ranked and {item["row"].person.pk for item in ranked} <= seen(personas.manager_b)
    assert mate.pk not in {item["row"].person.pk for item in ranked}


@pytest.mark.parametrize("name", ["sales_a", "manager_a", "hr", "auditor"])
def test_nothing_a_signed_in_person_reads_is_cacheable(world, personas, client, name):  # noqa: F811
    """Every page and API answer, discovered from the URLconf and the router: ``no-store``
    (a document download says ``private`` itself and is not stored by shared caches)."""
    client.force_login(getattr(personas, name))
    cacheable = []
    for route in routes():
        if route.template in EXEMPT or not _readable(route):
            continue
        values = values_for(route, world["a"], world, personas, personas.sales_a)
        response = _get(client, route, route.path(values))
        header = response.get("Cache-Control", "")
        if response.status_code < 400 and "no-store" not in header and "private" not in header:
            cacheable.append((route.template, response.status_code, header))
    assert not cacheable


def test_score_pages_say_no_store(personas, login, teammates):
    period, _mate, own, _theirs = teammates
    client = login(personas.sales_a)
    for url in (
        "/scoring/me/",
        f"/scoring/periods/{period.pk}/people/{personas.sales_a.pk}/",
        f"/api/v1/results/{own.pk}/",
    ):
        assert "no-store" in client.get(url)["Cache-Control"], url


def test_every_automatic_score_keeps_its_inputs_and_rule_version(personas, teammates):
    """Node scores (process/rules.py) and period results (scoring/rules.py): the inputs
    and the rule's name and version are stored beside the points."""
    from pathscore.process import services as process
    from pathscore.process.models import NodeInstance
    from pathscore.scoring.rules import RULES_VERSION
    from tests.crm import factories

    _period, _mate, own, _theirs = teammates
    assert own.items, "the result has its items"
    for item in own.items:
        assert item["rules_version"] == RULES_VERSION
        assert {"value", "params", "rule_kind", "points"} <= item.keys()

    project = factories.project(personas.sales_a, name="评分留痕项目")
    process.process_start(project=project)
    node = NodeInstance.objects.filter(project=project).order_by("order").first()
    process.node_submit(
        node=node,
        user=personas.sales_a,
        data={"key_contact": "周建国", "visit_date": timezone.localdate().isoformat()},
        checklist=["已确认客户决策链", "已记录跟进记录"],
    )
    process.review_approve(node=node, reviewer=personas.manager_a, quality_score=80)
    node.refresh_from_db()
    explanation = node.score_explanation
    assert explanation["rule"] == "process.node_score/1"
    assert Decimal(explanation["inputs"]["quality_score"]) == 80
    assert {"base", "days_late", "deduction_rule", "planned_due"} <= explanation["inputs"].keys()
    assert explanation["result"]["points"] == str(node.score)
