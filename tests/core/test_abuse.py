"""Business-logic abuse, tried the way an attacker would: through the pages and the API,
at the same moment where a race could help. Each attempt is refused with a message, or
exactly one of the racing attempts wins; nothing is half-saved.

* reviewing your own submission (approve or return);
* approving (or returning) a node that was not submitted;
* skipping a node without the right;
* submitting a node twice at once (a double click, a retrying script);
* the same appeal sent 50 times in parallel.

The services' own rules are tested where they live: ``tests/process/test_engine.py``
(``test_nobody_reviews_their_own_and_only_reviewers_review``,
``test_wrong_state_is_a_conflict_naming_the_state``, ``test_skip_needs_manager_and_reason``,
``test_two_reviewers_at_once_exactly_one_wins``), ``tests/process/test_node_api.py``
(``test_two_reviewers_at_once_through_the_api``) and ``tests/scoring/test_periods.py``
(``test_fifty_appeals_at_once_make_one``, ``test_two_closes_at_once_exactly_one_wins``).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from pathscore.process import services
from pathscore.process.choices import NodeState, SubmissionState
from pathscore.process.models import NodeInstance, Submission
from tests.crm import factories

pytestmark = pytest.mark.django_db

CHECKLIST = ["已确认客户决策链", "已记录跟进记录"]


def first_visit() -> dict:
    return {"key_contact": "周建国 副总经理", "visit_date": timezone.localdate().isoformat()}


def page_submit(node) -> dict:
    return {
        "submit-field_key_contact": first_visit()["key_contact"],
        "submit-field_visit_date": first_visit()["visit_date"],
        "submit-checklist": CHECKLIST,
        "submit-note": "首次拜访",
    }


def api_submit() -> dict:
    return {"data": first_visit(), "checklist": CHECKLIST}


def started(owner, name):
    project = factories.project(owner, name=name)
    services.process_start(project=project)
    return NodeInstance.objects.filter(project=project).order_by("order").first()


def snapshot(node) -> tuple:
    node = NodeInstance.objects.get(pk=node.pk)
    submissions = list(
        Submission.objects.filter(node=node).order_by("number").values_list("state", "reviewed_by")
    )
    return node.state, node.revision, node.quality_score, submissions


def act(client, surface: str, node, action: str, data: dict):
    if surface == "api":
        return client.post(
            f"/api/v1/nodes/{node.pk}/{action}/", data, content_type="application/json"
        )
    prefixed = {f"{action}-{key}": value for key, value in data.items()}
    return client.post(f"/process/nodes/{node.pk}/{action}/", prefixed)


REVIEWS = [("approve", {"quality_score": "95"}), ("return", {"comment": "再改改"})]


# --- Reviewing your own submission --------------------------------------------------------


@pytest.mark.parametrize("surface", ["page", "api"])
@pytest.mark.parametrize(("action", "data"), REVIEWS)
def test_nobody_reviews_their_own_submission(personas, login, surface, action, data):
    """The manager owns a project of their own team, so they are a reviewer of its nodes
    by role: still, what they submitted someone else reviews."""
    node = started(personas.manager_a, "经理自己的项目")
    services.node_submit(
        node=node, user=personas.manager_a, data=first_visit(), checklist=CHECKLIST
    )
    before = snapshot(node)
    response = act(login(personas.manager_a), surface, node, action, data)
    assert response.status_code in (200, 400, 403)  # the form again, or a refusal
    assert "不能审核自己的提交" in response.content.decode()  # the message, in Chinese
    assert snapshot(node) == before
    # Their own manager reviews it.
    assert act(login(personas.regional_head), "api", node, action, data).status_code == 200


# --- Reviewing what was not submitted -----------------------------------------------------------


@pytest.mark.parametrize("surface", ["page", "api"])
@pytest.mark.parametrize(("action", "data"), REVIEWS)
def test_a_node_that_was_not_submitted_cannot_be_reviewed(personas, login, surface, action, data):
    node = started(personas.sales_a, "未提交的项目")
    before = snapshot(node)
    response = act(login(personas.manager_a), surface, node, action, data)
    assert response.status_code == 409
    if surface == "api":
        assert response.json()["current_state"] == NodeState.IN_PROGRESS
    assert snapshot(node) == before
    assert before[0] == NodeState.IN_PROGRESS and before[3] == []


# --- Skipping without the right ----------------------------------------------------------------


@pytest.mark.parametrize("surface", ["page", "api"])
@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("sales_a", 403),  # the owner skips nothing
        ("tech", 404),  # no hand-off task on the project: not even seen
        ("hr", 403),
        ("executive", 403),
        ("manager_b", 404),  # another team's manager does not even see it
    ],
)
def test_skipping_needs_the_owners_manager(personas, login, surface, name, status):
    node = started(personas.sales_a, "不可跳过的项目")
    before = snapshot(node)
    response = act(login(getattr(personas, name)), surface, node, "skip", {"reason": "省事"})
    assert response.status_code == status
    assert snapshot(node) == before


# --- Racing ------------------------------------------------------------------------------------


def race(attempts):
    """Run the callables at the same moment, each on its own connection; their results."""
    barrier = threading.Barrier(len(attempts))
    results = [None] * len(attempts)

    def run(index, attempt):
        barrier.wait()
        try:
            results[index] = attempt()
        except Exception as error:  # noqa: BLE001 — any failure is the bug under test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    client.get("/")  # the session's first request has written its timestamps
    return client


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_saves_one_submission(personas):
    """The page's button clicked twice and a script submitting at the same moment: one
    submission is saved, the others are told the node is already submitted."""
    node = started(personas.sales_a, "双击提交的项目")
    browser, browser_again, script = (signed_in(personas.sales_a) for _ in range(3))
    responses = race(
        [
            lambda: browser.post(f"/process/nodes/{node.pk}/submit/", page_submit(node)),
            lambda: browser_again.post(f"/process/nodes/{node.pk}/submit/", page_submit(node)),
            lambda: script.post(
                f"/api/v1/nodes/{node.pk}/submit/", api_submit(), content_type="application/json"
            ),
        ]
    )
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses in ([201, 409, 409], [302, 409, 409]), statuses
    assert Submission.objects.filter(node=node).count() == 1
    assert NodeInstance.objects.get(pk=node.pk).state == NodeState.SUBMITTED
    assert Submission.objects.get(node=node).state == SubmissionState.PENDING


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_appeals_through_the_api_make_one(personas):
    from pathscore.scoring import services as scoring
    from pathscore.scoring.models import Appeal, Result

    today = timezone.localdate()
    period = scoring.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today - dt.timedelta(days=1),
        name="申诉风暴考核期",
    )
    scoring.period_close(period=period, actor=personas.hr)
    result = Result.objects.get(period=period, person=personas.sales_a)
    clients = [signed_in(personas.sales_a) for _ in range(50)]
    url = f"/api/v1/results/{result.pk}/appeal/"
    responses = race(
        [
            (lambda c=c: c.post(url, {"reason": "请复核"}, content_type="application/json"))
            for c in clients
        ]
    )
    statuses = [getattr(r, "status_code", repr(r)) for r in responses]
    assert statuses.count(201) == 1, statuses
    assert set(statuses) == {201, 409}, statuses
    assert Appeal.objects.filter(result=result).count() == 1
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["detail"]
