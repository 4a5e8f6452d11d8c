"""The dashboard and its drill-down pages: who may open them, what each role sees, bad
filter input, and query counts that do not grow with the team."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from pathscore.core.choices import Role
from pathscore.core.testing.personas import PASSWORD
from pathscore.org import services as org_services
from pathscore.org.models import User
from pathscore.process import services as process_services
from pathscore.scoring import engine
from pathscore.scoring import services as scoring_services
from pathscore.scoring import tasks as scoring_tasks
from pathscore.scoring.models import LiveScore
from tests.crm import factories
from tests.insights.conftest import build_world, followup

pytestmark = pytest.mark.django_db

DASHBOARD = "/insights/"


def zh(message: str) -> str:
    """``message`` as the pages show it: everyone here reads the company default, zh-hans."""
    with translation.override("zh-hans"):
        return translation.gettext(message)


def chart(response, key: str) -> dict | None:
    charts = response.context["charts"]
    return charts[key]


def drill(login, user, name, **params):
    return login(user).get(reverse(f"insights:{name}"), params)


def period_of(world) -> dict:
    """The hand-built company's period (T−13 … T) as query parameters: the default
    period, this month, would make the figures depend on the day of the month."""
    return world.slice(None).params()


def names(response) -> set[str]:
    return {getattr(row, "name", None) or str(row) for row in response.context["object_list"]}


# --- Access --------------------------------------------------------------------------------


def test_anonymous_goes_to_the_login_page(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_salesperson_is_sent_to_their_score(personas, login):
    response = login(personas.sales_a).get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:my-score")
    assert drill(login, personas.sales_a, "projects").status_code == 302


@pytest.mark.parametrize("name", ["tech", "auditor", "sysadmin"])
def test_others_are_refused(personas, login, name):
    assert login(personas.get(name)).get(DASHBOARD).status_code == 403


@pytest.mark.parametrize("name", ["manager_a", "regional_head", "hr", "executive"])
def test_managers_hr_and_executives_see_it_uncached(personas, login, name):
    response = login(personas.get(name)).get(DASHBOARD)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_menu_entry_for_managers_only(personas, login):
    url = reverse("insights:dashboard")
    assert url.encode() in login(personas.manager_a).get("/").content
    assert url.encode() in login(personas.executive).get("/").content
    assert url.encode() not in login(personas.sales_a).get("/").content


def test_page_keeps_to_the_csp(world, login):
    from tests.core.test_security_headers import audit

    result = audit(login(world.personas.manager_a).get(DASHBOARD))
    assert result.inline_scripts == [] or all(
        body.startswith("{") for body in result.inline_scripts
    )  # only json_script data blocks, which never run
    assert any(src.endswith("/pathscore/dashboard.js") for src in result.external_scripts)


# --- What each role sees -------------------------------------------------------------------


def test_manager_sees_their_team_only(world, login):
    response = login(world.personas.manager_a).get(DASHBOARD)
    content = response.content.decode()
    assert response.context["kpis"].active_projects == 2
    for text in ("唐山钢厂改造", world.personas.sales_b.name):
        assert text not in content
    heat = chart(response, "heatmap")
    assert heat["y"] == [world.personas.sales_a.name]
    funnel = chart(response, "funnel")
    assert world.personas.sales_b.name not in funnel["categories"]
    # The department filter offers only their own subtree.
    offered = {d.pk for d in response.context["form"].fields["department"].queryset}
    assert offered == {world.personas.team_a.pk}


def test_bar_data_matches_the_database(world, login):
    response = login(world.personas.executive).get(DASHBOARD)
    nodes = chart(response, "nodes")
    assert nodes["categories"][:2] == ["首次拜访", "需求分析报告提交"]
    assert nodes["totals"][:2] == [1, 2]
    assert world.personas.sales_b.name in chart(response, "heatmap")["y"]


def test_drill_down_urls_list_what_the_element_counts(world, login):
    manager = world.personas.manager_a
    response = login(manager).get(DASHBOARD)
    nodes = chart(response, "nodes")
    assert nodes["categories"][0] == "首次拜访"
    for series in nodes["series"]:  # one per customer type
        segment = series["data"][0]
        listed = login(manager).get(segment["url"])
        assert listed.status_code == 200
        assert len(listed.context["object_list"]) == segment["value"]
        expected = (
            {"苏州钢厂配电"} if series["name"] == str(world.p2.customer.customer_type) else set()
        )
        assert names(listed) == expected
    cell = next(c for c in chart(response, "heatmap")["data"] if c["value"][2])
    followups = login(manager).get(cell["url"]).context["object_list"]
    assert len(followups) == cell["value"][2]


def test_a_large_slice_charts_teams_not_people(world, login, monkeypatch):
    """Above the per-person limit the heat map and the funnel show one row per team: the
    team's cells add up its people's, and each links to the team's own records."""
    from pathscore.insights import views

    executive = world.personas.executive
    per_person = login(executive).get(DASHBOARD)
    assert per_person.context["by_team"] is False
    monkeypatch.setattr(views, "PER_PERSON_LIMIT", 1)
    response = login(executive).get(DASHBOARD)
    assert response.context["by_team"] is True
    assert "每个团队每周跟进次数" in response.content.decode()
    teams = {world.personas.sales_a.department, world.personas.sales_b.department}
    heat, people_heat = chart(response, "heatmap"), chart(per_person, "heatmap")
    assert set(heat["y"]) == {team.name for team in teams}
    assert sum(c["value"][2] for c in heat["data"]) == sum(
        c["value"][2] for c in people_heat["data"]
    )
    for cell in (c for c in heat["data"] if c["value"][2]):
        listed = login(executive).get(cell["url"]).context["object_list"]
        assert len(listed) == cell["value"][2]
    adjustment = chart(response, "adjustment")
    assert adjustment["categories"] == [world.personas.sales_a.department.name]
    assert adjustment["series"][0]["data"][0]["value"] == 3.5  # the owner's 3 and 4 days
    bar = adjustment["series"][0]["data"][0]
    assert login(executive).get(bar["url"]).context["object_list"]
    funnel = chart(response, "funnel")
    assert funnel["categories"][0] == zh("Average of the teams")
    assert set(funnel["categories"][1:]) <= {team.name for team in teams}
    for series in funnel["series"]:
        for bar in series["data"][1:]:
            assert login(executive).get(bar["url"]).status_code == 200


def test_kpi_tiles_link_to_their_records(world, login):
    manager = world.personas.manager_a
    page = login(manager).get(DASHBOARD, period_of(world))
    links = page.context["links"]
    assert names(login(manager).get(links["active"])) == {"南京配网运维", "苏州钢厂配电"}
    overdue = login(manager).get(links["overdue"]).context["object_list"]
    assert [node.project for node in overdue] == [world.p2]
    due = login(manager).get(links["due_soon"]).context["object_list"]
    assert [node.project for node in due] == [world.p1]
    approved = login(manager).get(links["approved"]).context["object_list"]
    assert {(node.project.name, node.on_time) for node in approved} == {
        ("南京配网运维", True),
        ("无锡储能", False),
    }
    followups = login(manager).get(links["followups"]).context["object_list"]
    assert len(followups) == page.context["kpis"].followups == 4


def test_drill_downs_never_cross_teams(world, login):
    manager = world.personas.manager_a
    sales_b = world.personas.sales_b
    # Asking for another team's salesperson is an unknown value: explained, empty.
    for name, params in (
        ("projects", {"owner": sales_b.pk}),
        ("followups", {"author": sales_b.pk}),
        ("projects", {"department": world.personas.team_b.pk}),
    ):
        response = drill(login, manager, name, **params)
        assert response.status_code == 200
        assert list(response.context["object_list"]) == []
        assert response.context["problems"]
    everything = drill(login, manager, "projects", set="funnel")
    assert "唐山钢厂改造" not in names(everything)
    node = drill(login, manager, "projects", node="requirement-report")
    assert names(node) == {"南京配网运维"}


def test_won_projects_by_cycle_and_proposals_by_versions(world, login):
    manager = world.personas.manager_a
    period = period_of(world)

    def listed(**params):
        return names(drill(login, manager, "projects", **period, **params))

    assert listed(set="won", cycle="181-270") == {"无锡储能"}
    assert listed(set="won", cycle="0-90") == set()
    assert listed(set="proposals", versions=3) == {"南京配网运维"}
    assert listed(set="revised") == {"南京配网运维"}


def test_drill_down_exports_the_same_rows(world, login):
    response = drill(login, world.personas.manager_a, "projects", set="active", export="xlsx")
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(rows) == sorted(["南京配网运维", "苏州钢厂配电"])


# --- Bad filter input --------------------------------------------------------------------


def test_start_after_end_is_refused_with_a_reason(world, login):
    response = login(world.personas.manager_a).get(
        DASHBOARD, {"period": "range", "start": "2026-03-10", "end": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "kpis" not in response.context
    problems = " ".join(response.context["problems"])
    assert zh("From") in problems and "2026-03-10" in problems and "2026-03-01" in problems
    assert b'data-testid="filter-problems"' in response.content
    # The form keeps what was typed.
    assert b'value="2026-03-10"' in response.content


@pytest.mark.parametrize(
    "params",
    [
        {"department": "999999"},
        {"department": "abc"},
        {"customer_type": "999999"},
        {"start": "2026-02-31", "period": "range"},
        {"period": "decade"},
        {"period": "range", "start": "2020-01-01", "end": "2026-01-01"},
    ],
)
def test_unknown_values_explain_an_empty_result(world, login, params):
    response = login(world.personas.executive).get(DASHBOARD, params)
    assert response.status_code == 200
    assert response.context["problems"]
    assert "kpis" not in response.context


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("projects", {"versions": "0"}),
        ("projects", {"cycle": "forever"}),
        ("projects", {"owner": "x"}),
        ("followups", {"week": "not-a-date"}),
        ("nodes", {"kind": "everything"}),
    ],
)
def test_drill_down_bad_values(world, login, name, params):
    response = drill(login, world.personas.executive, name, **params)
    assert response.status_code == 200
    assert list(response.context["object_list"]) == []
    assert response.context["problems"]


def test_unknown_node_code_lists_nothing(world, login):
    response = drill(login, world.personas.executive, "projects", node="no-such-node")
    assert response.status_code == 200 and list(response.context["object_list"]) == []


def test_labels_in_the_viewers_language(world, login):
    response = login(world.personas.manager_a).get(DASHBOARD)
    assert zh("Team dashboard").encode() in response.content
    assert chart(response, "funnel")["categories"][0] == zh("Team average")


# --- Query counts --------------------------------------------------------------------------


def add_salespeople(personas, count: int, start: int = 0) -> dict[str, User]:
    """``count`` new salespeople in team A, each with a project and a follow-up; by username."""
    added = {}
    for i in range(start, start + count):
        person = org_services.user_create(
            username=f"extra_{i}",
            name=f"新人{i}",
            password=PASSWORD,
            roles=[Role.SALESPERSON],
            department=personas.team_a,
            validate_password_strength=False,
        )
        project = factories.project(person, name=f"额外项目{i}")
        process_services.process_start(project=project)
        followup(person, project, project.started_on + dt.timedelta(days=55))
        added[person.username] = person
    return added


def open_period(personas):
    today = timezone.localdate()
    return scoring_services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=10),
        name="测试期",
    )


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


DRILL_URLS = [
    "/insights/projects/?set=active",
    "/insights/projects/?set=funnel&reached=first-visit",
    "/insights/projects/?set=won",
    "/insights/followups/",
    "/insights/nodes/?kind=overdue",
    "/insights/nodes/?kind=approved",
]


@pytest.mark.parametrize("viewer", ["manager_a", "executive"])
def test_query_count_does_not_grow_with_the_team(
    personas, login, viewer, django_assert_max_num_queries
):
    build_world(personas)
    open_period(personas)
    add_salespeople(personas, 2)
    client = login(personas.get(viewer))
    client.get(DASHBOARD)  # warm per-process caches (content types, options)
    small = {url: count_queries(client, url) for url in [DASHBOARD, *DRILL_URLS]}
    add_salespeople(personas, 4, start=2)
    large = {url: count_queries(client, url) for url in [DASHBOARD, *DRILL_URLS]}
    assert large == small
    # 58 when the ranking evaluated every indicator in the request; 34 before the tiles'
    # counts, the funnel and the published nodes were read in fewer queries.
    assert small[DASHBOARD] <= 28
    with django_assert_max_num_queries(small[DASHBOARD]):
        client.get(DASHBOARD)


def test_ranking_uses_live_scores(personas, login):
    world = build_world(personas)
    period = open_period(personas)
    client = login(world.personas.manager_a)
    cache.delete(f"scoring:live-refresh-queued:{period.pk}")
    # Nothing stored yet: the page says the scores are on their way and queues the
    # refresh (run at once here: jobs run inline in the tests).
    first = client.get(DASHBOARD)
    assert first.context["ranked"] == [] and first.context["ranking"].stale
    empty = first.content.decode()
    assert zh("The current scores are being computed; they appear here in a few minutes.") in empty
    stored = LiveScore.objects.get(period=period, person=personas.sales_a)
    # The stored total is the live one (the person's own score page).
    live = engine.evaluate([personas.sales_a], period)[personas.sales_a.pk]
    assert stored.total == live.total

    response = client.get(DASHBOARD)
    ranked = response.context["ranked"]
    assert response.context["period"].name == "测试期"
    assert [item["row"].person.username for item in ranked] == ["sales_a"]
    assert ranked[0]["row"].total == live.total
    assert not response.context["ranking"].stale
    at = timezone.localtime(stored.computed_at).strftime("%H:%M")
    note = f"测试期 按 {at} 的实时得分"
    assert note in response.content.decode()


def stored_score(period, person, total, computed_at=None):
    card = engine.scorecard_for(person)
    return LiveScore.objects.create(
        period=period,
        person=person,
        scorecard=card,
        scorecard_version=card.version,
        total=Decimal(total),
        computed_at=computed_at or timezone.now(),
    )


def no_evaluation(*args, **kwargs):
    raise AssertionError("the dashboard evaluated scores inside the request")


def test_ranking_order_and_ties_from_the_stored_scores(personas, login, monkeypatch):
    build_world(personas)
    period = open_period(personas)
    people = add_salespeople(personas, 3)
    stored_score(period, personas.sales_a, "70.00")
    stored_score(period, people["extra_0"], "80.00")
    stored_score(period, people["extra_1"], "90.00")
    stored_score(period, people["extra_2"], "80.00")
    stored_score(period, personas.sales_b, "99.00")  # another team: not the manager's
    monkeypatch.setattr(engine, "evaluate", no_evaluation)
    response = login(personas.manager_a).get(DASHBOARD)
    rows = [item["row"] for item in response.context["ranked"]]
    # Best first; equal totals share a rank (competition ranking), then by name.
    assert [(row.person.username, str(row.total), row.rank) for row in rows] == [
        ("extra_1", "90.00", 1),
        ("extra_0", "80.00", 2),
        ("extra_2", "80.00", 2),
        ("sales_a", "70.00", 4),
    ]
    # The page shows the shared rank, not the row's position.
    shown = re.findall(r'data-testid="ranking-rank">(\d+)<', response.content.decode())
    assert shown == ["1", "2", "2", "4"]
    executive = login(personas.executive).get(DASHBOARD)
    assert [item["row"].person.username for item in executive.context["ranked"]][0] == "sales_b"

    # A list longer than the top and the bottom shows those two, and says how many are left out.
    from pathscore.insights import views

    monkeypatch.setattr(views, "RANKING_TOP", 1)
    monkeypatch.setattr(views, "RANKING_BOTTOM", 1)
    cut = login(personas.manager_a).get(DASHBOARD)
    assert [(item["row"].person.username, item["row"].rank) for item in cut.context["ranked"]] == [
        ("extra_1", 1),
        ("sales_a", 4),
    ]
    gap = re.search(r'data-testid="ranking-gap">([^<]*)<', cut.content.decode()).group(1)
    assert "2" in gap and gap.startswith("……另有")


def test_frozen_totals_are_read_for_the_ranked_rows_shown_only(personas, login, monkeypatch):
    from pathscore.insights import views
    from pathscore.scoring.choices import PeriodState
    from pathscore.scoring.models import Period, Result

    build_world(personas)
    period = open_period(personas)
    people = add_salespeople(personas, 2)
    for person, total in (
        (personas.sales_a, "70.00"),
        (people["extra_0"], "80.00"),
        (people["extra_1"], "90.00"),
    ):
        stored_score(period, person, total)
    closed = Period.objects.create(
        kind="custom",
        name="上一期",
        starts_on=period.starts_on - dt.timedelta(days=30),
        ends_on=period.starts_on - dt.timedelta(days=1),
        state=PeriodState.PUBLISHED,
    )
    for person, total in ((personas.sales_a, "61.00"), (people["extra_0"], "72.00")):
        Result.objects.create(
            period=closed,
            person=person,
            department=person.department,  # the team the manager heads: visible to them
            computed_total=Decimal(total),
            total=Decimal(total),
        )
    monkeypatch.setattr(engine, "evaluate", no_evaluation)
    monkeypatch.setattr(views, "RANKING_TOP", 1)
    monkeypatch.setattr(views, "RANKING_BOTTOM", 1)
    response = login(personas.manager_a).get(DASHBOARD)
    shown = {item["row"].person.username: item for item in response.context["ranked"]}
    assert set(shown) == {"extra_1", "sales_a"}
    assert shown["sales_a"]["row"].history == [("上一期", Decimal("61.00"))]
    assert shown["sales_a"]["sparkline"]  # the line is drawn from the frozen total
    assert shown["extra_1"]["row"].history == []  # nothing frozen for this one
    hidden = [row for row in response.context["ranking"].rows if row.person == people["extra_0"]]
    assert hidden[0].history == []  # not shown: its totals were never read


def test_stale_scores_are_shown_with_a_warning_and_a_refresh_queued(personas, login, monkeypatch):
    build_world(personas)
    period = open_period(personas)
    old = timezone.now() - scoring_services.LIVE_STALE_AFTER - dt.timedelta(minutes=1)
    stored_score(period, personas.sales_a, "70.00", computed_at=old)
    queued = []
    monkeypatch.setattr(scoring_tasks, "refresh_period_live_scores", queued.append)
    monkeypatch.setattr(engine, "evaluate", no_evaluation)
    cache.delete(f"scoring:live-refresh-queued:{period.pk}")
    client = login(personas.manager_a)
    response = client.get(DASHBOARD)
    assert [item["row"].person.username for item in response.context["ranked"]] == ["sales_a"]
    assert response.context["ranking"].stale
    assert zh("Newer scores are being computed; reload the page in a few minutes.") in (
        response.content.decode()
    )
    assert queued == [period.pk]
    client.get(DASHBOARD)
    assert queued == [period.pk]  # queued once, however many pages ask

    # Fresh scores: nothing queued, no warning.
    LiveScore.objects.update(computed_at=timezone.now())
    cache.delete(f"scoring:live-refresh-queued:{period.pk}")
    response = client.get(DASHBOARD)
    assert not response.context["ranking"].stale and queued == [period.pk]
    assert 'data-testid="ranking-stale"' not in response.content.decode()


def test_the_salesperson_menu_lists_visible_names_and_a_choice_filters(personas, login):
    from pathscore.insights.filters import DashboardFilterForm

    build_world(personas)
    personas.sales_b.name = ""  # a person without a name is listed by their username
    personas.sales_b.save(update_fields=["name"])
    executive = DashboardFilterForm(viewer=personas.executive, today=timezone.localdate())
    menu = dict(executive.fields["salesperson"].widget.choices)
    assert menu[personas.sales_a.pk] == personas.sales_a.name
    assert menu[personas.sales_b.pk] == "sales_b"
    manager = DashboardFilterForm(viewer=personas.manager_a, today=timezone.localdate())
    assert personas.sales_b.pk not in dict(manager.fields["salesperson"].widget.choices)
    chosen = DashboardFilterForm(
        {"salesperson": personas.sales_a.pk}, viewer=personas.manager_a, today=timezone.localdate()
    )
    assert chosen.is_valid() and chosen.to_slice().salesperson == personas.sales_a
    foreign = DashboardFilterForm(
        {"salesperson": personas.sales_b.pk}, viewer=personas.manager_a, today=timezone.localdate()
    )
    assert not foreign.is_valid() and "salesperson" in foreign.errors
    page = login(personas.manager_a).get(DASHBOARD).content.decode()
    assert f'<option value="{personas.sales_a.pk}">{personas.sales_a.name}</option>' in page
