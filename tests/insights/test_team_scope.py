"""A manager's dashboard reads the team's records through the person's index.

The figures of a manager count the records of their team (themself and everyone in the
subtrees they head): follow-ups the team wrote, projects (and nodes) the team owns —
never more than ``visible_to`` allows, and each tile and its drill-down list the same
records. The scope rule itself asks "person IN the subtrees' people" instead of joining
every row to its person's department: the same rows, found through an index.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal as D

import pytest
from django.urls import reverse

from pathscore.core.scoping import person_in_subtrees_q, scope_for, subtree_q
from pathscore.crm.models import Customer, FollowUp, Project
from pathscore.insights import selectors
from pathscore.scoring import catalogue
from tests.crm import factories
from tests.insights.conftest import at, followup

pytestmark = pytest.mark.django_db


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def outsider_followup(world):
    """Sales B writes on team A's project P1 (visible to manager A through the project;
    written here directly, as an import of another CRM's history may)."""
    p1 = world.p1
    return FollowUp.objects.create(
        customer=p1.customer,
        project=p1,
        author=world.personas.sales_b,
        occurred_at=at(world.day(-4)),
        mode=factories.option("followup_mode", "visit"),
        content="陪同拜访。",
    )


@pytest.mark.parametrize(
    ("model", "person"),
    [(Project, "owner"), (Customer, "owner"), (FollowUp, "author")],
)
def test_person_in_subtrees_is_the_department_join(world, model, person):
    personas = world.personas
    outsider_followup(world)
    for viewer in (personas.manager_a, personas.manager_b, personas.regional_head):
        paths = scope_for(viewer).managed_paths
        assert paths
        by_index = set(model.objects.filter(person_in_subtrees_q(person, paths)).values_list("pk"))
        by_join = set(
            model.objects.filter(subtree_q(f"{person}__department__path", paths)).values_list("pk")
        )
        assert by_index == by_join
        assert by_index  # each manager's subtree has records: the comparison is not vacuous
    assert not model.objects.filter(person_in_subtrees_q(person, ())).exists()


def test_team_ids_are_the_manager_and_their_subtree(world):
    personas = world.personas
    team = world.slice(personas.manager_a).team_ids
    assert set(team) == {personas.manager_a.pk, personas.sales_a.pk, personas.deactivated.pk}
    region = set(world.slice(personas.regional_head).team_ids)
    assert region >= set(team) | {personas.regional_head.pk}
    assert personas.sales_b.pk not in region
    assert world.slice(personas.executive).team_ids is None
    assert world.slice(personas.hr).team_ids is None


def test_a_manager_counts_the_team_s_follow_ups_tile_and_list_alike(world, login):
    manager, executive = world.personas.manager_a, world.personas.executive
    outsider = outsider_followup(world)
    # Still visible to the manager (the project is the team's) …
    assert FollowUp.objects.visible_to(manager).filter(pk=outsider.pk).exists()
    s = world.slice(manager)
    kpis = selectors.kpis(s)
    # … but the team dashboard counts the team's work: the four of sales A, not sales B's.
    assert kpis.followups == 4
    listed = selectors.followups_between(s, s.start, s.end)
    assert listed.count() == kpis.followups
    assert outsider not in listed
    page = login(manager).get(reverse("insights:dashboard"), s.params())
    drilled = login(manager).get(page.context["links"]["followups"]).context["object_list"]
    assert len(drilled) == page.context["kpis"].followups == 4
    # The company sees everyone's.
    company = world.slice(executive)
    assert selectors.kpis(company).followups == 4 + 2 + 1


def test_a_manager_counts_the_team_s_projects_and_nodes(world):
    manager = world.personas.manager_a
    s = world.slice(manager)
    assert set(selectors.projects(s)) == {world.p1, world.p2, world.p3}
    assert {node.project_id for node in selectors.nodes(s)} == {
        world.p1.pk,
        world.p2.pk,
        world.p3.pk,
    }
    kpis = selectors.kpis(s)
    assert (kpis.active_projects, kpis.due_soon, kpis.overdue) == (2, 1, 1)


def test_follow_up_cycle_chains_ties_like_the_indicator(world):
    sales_a = world.personas.sales_a
    # A second follow-up at the very same moment as the one of T−7 on P1.
    followup(sales_a, world.p1, world.day(-7))
    s = world.slice(world.personas.manager_a)
    by_week = selectors.followup_cycle_by_week(s)
    gaps = defaultdict(list)
    gaps[monday(world.day(-7))] += [3, 0]  # T−10 → T−7, T−7 → T−7 (the tie)
    gaps[monday(world.day(-2))].append(5)  # T−7 → T−2
    expected = {week: (D(sum(days)) / len(days)).quantize(D("0.1")) for week, days in gaps.items()}
    assert by_week == expected
    # Over the period, the chart's gaps are the indicator's: (last − first) / (n − 1).
    indicator = catalogue.followup_cycle([sales_a.pk], s.start, s.end, {})[sales_a.pk]
    assert indicator == (D(8) / 3).quantize(D("0.01"))
