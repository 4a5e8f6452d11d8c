"""Stall thresholds learned from history (75th percentile per node and customer type) and
the stalled projects they flag, next to each node's own threshold."""

import datetime as dt
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pathscore.core.models import Option
from pathscore.crm.models import Project
from pathscore.notify.models import Notification
from pathscore.process import services, stalls, tasks
from pathscore.process.choices import NodeState, ReminderKind
from pathscore.process.models import NodeInstance, ProjectProcess, StallThreshold
from pathscore.process.reminders import run_reminders
from tests.crm import factories


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=30))
def test_percentile_lies_between_the_samples_and_splits_them(values):
    p75 = stalls.percentile(values)
    assert min(values) <= p75 <= max(values)
    position = 0.75 * (len(values) - 1)
    assert sum(v <= p75 for v in values) >= math.floor(position) + 1
    assert sum(v < p75 for v in values) <= math.ceil(position)
    assert stalls.percentile(values, 0.0) == min(values)
    assert stalls.percentile(values, 1.0) == max(values)


@given(
    st.lists(st.integers(min_value=0, max_value=400), min_size=5, max_size=30),
    st.integers(min_value=0, max_value=500),
)
def test_whole_days_flag_exactly_what_is_older_than_the_percentile(values, age):
    threshold = stalls.LearnedThreshold(
        node_code="x", customer_type_id=1, percentile=stalls.percentile(values), samples=len(values)
    )
    assert (age > threshold.days) == (age > threshold.percentile)


def test_percentile_by_hand():
    # Position 0.75 × (5 − 1) = 3: the fourth value.
    assert stalls.percentile([30, 2, 8, 4, 6]) == 8
    # Position 0.75 × (6 − 1) = 3.75: three quarters of the way from 10 to 12.
    assert stalls.percentile([3, 10, 5, 12, 7, 20]) == 11.5


def today():
    return timezone.localdate()


def customer_type(code):
    return Option.objects.get(kind="customer_type", code=code)


def approved_history(personas, durations, *, type_code="grid", code="first-visit", name="历史"):
    """One finished project per duration: the node ``code`` took that many days."""
    customer = factories.customer(
        personas.sales_a, name=f"{name}{type_code}客户", type_code=type_code
    )
    for number, days in enumerate(durations):
        project = factories.project(personas.sales_a, customer, name=f"{name}{type_code}{number}")
        services.process_start(project=project)
        node = NodeInstance.objects.get(project=project, definition__code=code)
        begin = today() - dt.timedelta(days=200)
        NodeInstance.objects.filter(pk=node.pk).update(
            state=NodeState.APPROVED,
            started_on=begin,
            completed_on=begin + dt.timedelta(days=days),
        )
        # Past projects: their path is over, so they are not stalled themselves.
        ProjectProcess.objects.filter(project=project).update(
            current_node=None, current_since=None, completed_on=today()
        )


def learned():
    return {
        (t.node_code, t.customer_type.code): (t.days, t.samples)
        for t in StallThreshold.objects.select_related("customer_type")
    }


@pytest.mark.django_db
def test_thresholds_by_hand(personas):
    approved_history(personas, [3, 10, 5, 12, 7, 20])  # grid: p75 = 11.5
    approved_history(personas, [2, 4, 6, 8, 30], type_code="industrial")  # p75 = 8
    approved_history(personas, [1, 2, 3, 4], type_code="public")  # too few: nothing learned
    # A skipped node says nothing about how long the work takes.
    skipped = NodeInstance.objects.filter(project__customer__customer_type__code="public").first()
    NodeInstance.objects.filter(pk=skipped.pk).update(state=NodeState.SKIPPED)
    result = stalls.refresh_thresholds()
    assert result == {"thresholds": 2, "removed": 0}
    assert learned() == {("first-visit", "grid"): (11, 6), ("first-visit", "industrial"): (8, 5)}
    computed = {(t.node_code, t.customer_type_id): t for t in stalls.compute_thresholds()}
    assert computed[("first-visit", customer_type("grid").pk)].percentile == 11.5


@pytest.mark.parametrize("size", [5, 6, 7, 8, 9, 12])
@pytest.mark.django_db
def test_the_database_agrees_with_the_definition(personas, size):
    durations = [(number * 7) % 23 + number for number in range(size)]
    approved_history(personas, durations)
    (threshold,) = stalls.compute_thresholds()
    assert threshold.percentile == pytest.approx(stalls.percentile(durations))
    assert threshold.samples == size


@pytest.mark.django_db
def test_refreshing_is_idempotent_and_drops_what_no_longer_holds(personas):
    approved_history(personas, [3, 10, 5, 12, 7, 20])
    stalls.refresh_thresholds()
    first = learned()
    assert stalls.refresh_thresholds() == {"thresholds": 1, "removed": 0}
    assert learned() == first and StallThreshold.objects.count() == 1
    # History shrinks below five samples (nodes reopened): the learned threshold goes.
    for node in NodeInstance.objects.filter(state=NodeState.APPROVED)[:2]:
        NodeInstance.objects.filter(pk=node.pk).update(state=NodeState.IN_PROGRESS)
    assert stalls.refresh_thresholds() == {"thresholds": 0, "removed": 1}
    assert not StallThreshold.objects.exists()


@pytest.mark.django_db
def test_the_daily_job_refreshes(personas):
    approved_history(personas, [3, 10, 5, 12, 7, 20])
    tasks.refresh_stall_thresholds()  # jobs run inline in the tests
    assert learned() == {("first-visit", "grid"): (11, 6)}


def running(personas, name, days_at_node, *, owner=None, type_code="grid"):
    owner = owner or personas.sales_a
    customer = factories.customer(owner, name=f"{name}客户", type_code=type_code)
    project = factories.project(
        owner, customer, name=name, started_on=today() - dt.timedelta(days=days_at_node)
    )
    services.process_start(project=project)
    return project


@pytest.fixture
def history(personas):
    approved_history(personas, [3, 10, 5, 12, 7, 20])  # grid, first visit: 75% within 11 d
    stalls.refresh_thresholds()


@pytest.mark.django_db
def test_stalled_projects_and_why(personas, history):
    # The first visit's own threshold is 21 days.
    running(personas, "超过节点阈值", 25)
    running(personas, "超过历史阈值", 12)
    running(personas, "工业客户同样天数", 12, type_code="industrial")  # no history for it
    running(personas, "正常推进", 11)
    running(personas, "华北项目", 30, owner=personas.sales_b)
    rows = {p.project.name: p for p in stalls.stalled_projects(personas.manager_a, today())}
    assert set(rows) == {"超过节点阈值", "超过历史阈值"}
    assert rows["超过节点阈值"].stall_reason == stalls.BOTH_THRESHOLDS
    assert rows["超过历史阈值"].stall_reason == stalls.LEARNED_THRESHOLD
    assert rows["超过历史阈值"].learned_days == 11
    assert rows["超过历史阈值"].learned_samples == 6
    assert rows["超过历史阈值"].node_stall_days == 21
    # Scoped: each manager sees their own team's, HR sees all, a salesperson their own.
    assert [p.project.name for p in stalls.stalled_projects(personas.manager_b, today())] == [
        "华北项目"
    ]
    assert len(stalls.stalled_projects(personas.hr, today())) == 3
    assert len(stalls.stalled_projects(personas.sales_a, today())) == 2
    assert not stalls.stalled_projects(personas.tech, today()).exists()


@pytest.mark.django_db
def test_without_history_only_the_node_threshold_counts(personas):
    running(personas, "超过节点阈值", 22)
    running(personas, "十二天", 12)
    rows = list(stalls.stalled_projects(personas.hr, today()))
    assert [(p.project.name, p.stall_reason) for p in rows] == [
        ("超过节点阈值", stalls.NODE_THRESHOLD)
    ]
    assert rows[0].learned_days is None


@pytest.mark.django_db
def test_closed_projects_are_not_stalled(personas, history):
    project = running(personas, "暂停项目", 40)
    Project.objects.filter(pk=project.pk).update(status="paused")
    assert not stalls.stalled_projects(personas.hr, today()).exists()


@pytest.mark.django_db
def test_reminders_use_the_learned_threshold_once(personas, history):
    running(personas, "超过历史阈值", 12)
    run_reminders(today())
    alerts = Notification.objects.filter(kind=ReminderKind.STALLED)
    assert {n.recipient for n in alerts} == {personas.sales_a, personas.manager_a}
    assert all("11" in n.body for n in alerts)
    run_reminders(today())
    assert Notification.objects.filter(kind=ReminderKind.STALLED).count() == 2


@pytest.mark.django_db
def test_the_stalled_list_page(personas, login, history, django_assert_max_num_queries):
    client = login(personas.manager_a)

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/process/stalled/")
            assert response.status_code == 200
        return len(captured), response

    running(personas, "甲项目", 12)
    few, response = count()
    assert "甲项目" in response.content.decode()
    for number in range(6):
        running(personas, f"乙项目{number}", 30 + number)
    with django_assert_max_num_queries(few):
        assert len(client.get("/process/stalled/").context["object_list"]) == 7
    export = client.get("/process/stalled/?export=xlsx")
    assert export.status_code == 200


@pytest.mark.django_db
def test_the_home_panel_lists_stalled_projects(personas, login, history):
    running(personas, "超过历史阈值", 12)
    page = login(personas.manager_a).get("/").content.decode()
    assert 'data-testid="panel-stalled"' in page and "超过历史阈值" in page
    assert 'data-testid="panel-stalled"' not in login(personas.manager_b).get("/").content.decode()
