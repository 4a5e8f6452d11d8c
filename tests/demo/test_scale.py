"""The scale generator: sizes, determinism, and data the product can stand on.

A company of scale S (the CI scale) is generated once per module (per test worker) inside
a transaction that is rolled back afterwards; the tests read it. The tiny scale XS serves
the tests that generate several companies (tests/demo/test_scale_runs.py).
"""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from pathscore.core.choices import Role
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import (
    Customer,
    DocumentVersion,
    FollowUp,
    Project,
    ProjectHandover,
)
from pathscore.demo.scale import paths
from pathscore.demo.scale.bulk import check_foreign_keys
from pathscore.demo.scale.generator import generate
from pathscore.demo.scale.progress import Progress
from pathscore.demo.scale.sizes import SCALES, apportion
from pathscore.org.choices import DepartmentKind
from pathscore.org.models import Department, User
from pathscore.process.choices import DONE_STATES, NodeState, SubmissionState, TaskState
from pathscore.process.credit import credit_check
from pathscore.process.models import (
    DelayReason,
    HandoffTask,
    NodeInstance,
    ProjectProcess,
    StallThreshold,
    Submission,
)
from pathscore.scoring import engine
from pathscore.scoring.choices import PeriodState
from pathscore.scoring.models import Period, Result
from tests.conftest import ensure_bundled_defaults

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 26)
SEED = 7


@pytest.fixture(scope="module")
def company(django_db_setup, django_db_blocker):
    """One S company for the module's tests, rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_bundled_defaults()
        summary = generate(scale="S", seed=SEED, as_of=AS_OF)
        yield summary
        transaction.set_rollback(True)


# --- the size table ---------------------------------------------------------------------


def test_scale_l_is_the_product_brief_and_m_one_tenth_of_it():
    large, medium, small = SCALES["L"], SCALES["M"], SCALES["S"]
    assert (large.salespeople, large.teams) == (1_000, 100)
    assert (large.customers, large.projects, large.followups) == (30_000, 100_000, 2_000_000)
    for name in ("salespeople", "teams", "customers", "projects", "followups", "engineers"):
        assert getattr(medium, name) * 10 == getattr(large, name), name
    assert small.projects * 100 == large.projects
    assert small.followups * 100 == large.followups
    # A year of appraisal quarters, and the projects already running when it began.
    assert large.history_days >= 365


@pytest.mark.parametrize(
    ("total", "weights"),
    [(10, [1, 1, 1]), (2_000_000, [0.3, 5.0, 1.2, 0.01]), (7, [0, 0, 0]), (3, [5, 1, 1, 1, 1])],
)
def test_apportion_adds_up_exactly_and_follows_the_weights(total, weights):
    counts = apportion(total, weights)
    assert sum(counts) == total
    assert all(count >= 0 for count in counts)
    if sum(weights):
        heaviest = max(range(len(weights)), key=weights.__getitem__)
        assert counts[heaviest] == max(counts)


# --- paths -------------------------------------------------------------------------------


def test_a_planned_path_is_done_nodes_then_the_current_one_then_untouched(company):
    from pathscore.process.models import TemplateVersion

    version = TemplateVersion.objects.get(template__code="new-energy", status="published")
    from pathscore.demo.scale.world import _node_spec

    nodes = [_node_spec(d) for d in version.nodes.order_by("order")]
    last_day = AS_OF - dt.timedelta(days=1)
    for attempt in range(300):
        rng = random.Random(attempt)
        start = last_day - dt.timedelta(days=rng.randint(0, 455))
        path = paths.plan(nodes, start=start, last_day=last_day, punctuality=0.8, rng=rng)
        states = [step.state for step in path.steps]
        assert len(states) == len(nodes)
        done = 0
        while done < len(states) and states[done] in DONE_STATES:
            done += 1
        if path.current is None:
            assert done == len(states) and path.status == ProjectStatus.WON
            assert path.signed_on <= path.completed_on <= last_day
        else:
            assert path.current == done
            assert states[done] in (
                NodeState.IN_PROGRESS,
                NodeState.SUBMITTED,
                NodeState.RETURNED,
            )
            assert set(states[done + 1 :]) <= {NodeState.NOT_STARTED}
        previous_end = start
        for step in path.steps[: done + (path.current is not None)]:
            assert step.started == previous_end
            for submitted, reviewed, _outcome in step.attempts:
                assert step.started < submitted <= last_day
                assert reviewed is None or submitted < reviewed <= last_day
            if step.done_on:
                assert step.done_on <= last_day
                previous_end = step.done_on


# --- the generated company ------------------------------------------------------------------


def test_exact_sizes_of_the_scale(company):
    scale = SCALES["S"]
    sellers = User.objects.filter(role_grants__role=Role.SALESPERSON)
    assert sellers.filter(is_active=True).count() == scale.salespeople
    assert sellers.filter(is_active=False).count() == scale.departed
    assert Department.objects.filter(
        kind=DepartmentKind.TEAM, code__startswith="team-"
    ).count() == (scale.teams)
    assert Customer.objects.count() == scale.customers
    assert Project.objects.count() == scale.projects
    assert FollowUp.objects.count() == scale.followups
    # Every project carries every node of the template it follows.
    expected = ProjectProcess.objects.annotate(n=Count("version__nodes")).values_list(
        "n", flat=True
    )
    assert NodeInstance.objects.count() == sum(expected)
    assert ProjectProcess.objects.count() == scale.projects
    assert company.rows["crm_followup"] == scale.followups


def test_every_kind_of_record_is_there(company):
    statuses = set(Project.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in ProjectStatus}
    states = set(NodeInstance.objects.values_list("state", flat=True))
    assert {NodeState.APPROVED, NodeState.IN_PROGRESS, NodeState.NOT_STARTED} <= states
    assert Submission.objects.filter(state=SubmissionState.RETURNED).exists()
    assert DelayReason.objects.values("category").distinct().count() >= 3
    assert DocumentVersion.objects.filter(number__gt=1, document__kind="proposal").exists()
    assert DocumentVersion.objects.exclude(customer_feedback="").exists()
    assert HandoffTask.objects.filter(state=TaskState.DONE).exists()
    assert ProjectHandover.objects.exists()
    from pathscore.scoring.models import Attendance, CustomerRating, QualityRating

    assert CustomerRating.objects.exists() and QualityRating.objects.exists()
    assert Attendance.objects.filter(attended=True).exists()


def test_activity_is_long_tailed(company):
    per_person = sorted(
        FollowUp.objects.filter(author__is_active=True)
        .values("author")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    median = per_person[len(per_person) // 2]
    # The busiest do well over the median's work, the quietest well under it.
    assert per_person[-1] >= 1.5 * median
    assert per_person[0] <= 0.7 * median
    per_project = sorted(Project.objects.annotate(n=Count("followups")).values_list("n", flat=True))
    assert per_project[-1] >= 5 * per_project[len(per_project) // 2]


def test_the_process_state_of_every_project_is_consistent(company):
    processes = ProjectProcess.objects.select_related("current_node", "project")
    for process in processes:
        nodes = list(NodeInstance.objects.filter(project=process.project).order_by("order"))
        states = [node.state for node in nodes]
        if process.current_node_id is None:
            assert all(state in DONE_STATES for state in states)
            assert process.completed_on is not None
            assert process.project.status == ProjectStatus.WON
            continue
        current = process.current_node
        assert current.project_id == process.project_id
        assert current.state in (NodeState.IN_PROGRESS, NodeState.SUBMITTED, NodeState.RETURNED)
        assert current.started_on == process.current_since
        index = states.index(current.state, current.order - nodes[0].order)
        assert all(state in DONE_STATES for state in states[:index])
        assert all(state == NodeState.NOT_STARTED for state in states[index + 1 :])


def test_an_approved_node_has_its_submission_review_and_score(company):
    approved = NodeInstance.objects.filter(state=NodeState.APPROVED)
    assert approved.exists()
    missing = approved.exclude(
        submissions__state=SubmissionState.APPROVED, submissions__reviewed_by__isnull=False
    )
    assert not missing.exists()
    assert not approved.filter(Q(score__isnull=True) | Q(completed_on__isnull=True)).exists()
    for node in approved.select_related("definition")[:50]:
        submission = node.submissions.get(state=SubmissionState.APPROVED)
        assert submission.submitted_by_id == node.submitted_by_id
        assert submission.reviewed_by_id != submission.submitted_by_id
        assert node.score_explanation["rule"] == "process.node_score/1"
        assert node.score_explanation["result"]["points"] == str(node.score)
        late = max((timezone.localdate(submission.submitted_at) - node.planned_due).days, 0)
        assert node.days_late == late


def test_won_lost_and_paused_projects_carry_their_dates_and_reasons(company):
    won = Project.objects.filter(status=ProjectStatus.WON)
    assert not won.filter(
        Q(signed_amount__isnull=True) | Q(signed_on__isnull=True) | Q(closed_on__isnull=True)
    ).exists()
    assert not won.filter(signed_on__lt=F("started_on")).exists()
    lost = Project.objects.filter(status=ProjectStatus.LOST)
    assert not lost.filter(Q(closed_on__isnull=True) | Q(status_reason="")).exists()
    assert not Project.objects.filter(status=ProjectStatus.PAUSED, status_reason="").exists()


def test_follow_ups_are_credited_to_whoever_owned_the_project_that_day(company):
    handed = dict(ProjectHandover.objects.values_list("project_id", "from_owner_id"))
    for followup in FollowUp.objects.select_related("project__owner", "author")[:2000]:
        owner = followup.project.owner
        assert (
            followup.author.department_id == owner.department_id
            or followup.author_id == handed.get(followup.project_id)
        )
    # Nobody records anything after they left.
    for person in User.objects.filter(is_active=False, role_grants__role=Role.SALESPERSON):
        handed_away = ProjectHandover.objects.filter(from_owner=person).values_list(
            "handed_over_at", flat=True
        )
        for when in handed_away:
            assert not FollowUp.objects.filter(
                author=person, project__handovers__handed_over_at=when, occurred_at__gte=when
            ).exists()


def test_every_recorded_moment_is_aware_and_before_the_as_of_date(company):
    start_of_as_of = timezone.make_aware(dt.datetime.combine(AS_OF, dt.time()))
    for model, fields in (
        (FollowUp, ("occurred_at", "created_at", "next_action_done_at")),
        (Submission, ("submitted_at", "reviewed_at")),
        (HandoffTask, ("created_at", "acknowledged_at", "done_at")),
        (DocumentVersion, ("uploaded_at",)),
    ):
        for field in fields:
            latest = model.objects.order_by(F(field).desc(nulls_last=True)).values_list(
                field, flat=True
            )[0]
            assert timezone.is_aware(latest)
            assert latest < start_of_as_of, (model.__name__, field)


def _business_models():
    from django.apps import apps

    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in {"org", "crm", "process", "scoring", "insights"}
    ]


def test_no_row_refers_to_a_missing_row(company):
    check_foreign_keys(_business_models())


def test_the_foreign_key_check_catches_a_dangling_reference(company):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE crm_followup SET project_id = 999999999 "
                "WHERE id = (SELECT MIN(id) FROM crm_followup)"
            )
        with pytest.raises(RuntimeError, match="missing rows"):
            check_foreign_keys(_business_models())
        transaction.set_rollback(True)


def test_the_oldest_quarter_is_published_the_other_three_open(company):
    periods = list(Period.objects.order_by("starts_on"))
    assert [p.state for p in periods] == [
        PeriodState.PUBLISHED,
        PeriodState.OPEN,
        PeriodState.OPEN,
        PeriodState.OPEN,
    ]
    assert periods[-1].starts_on <= AS_OF <= periods[-1].ends_on
    for period in periods[:1]:
        results = Result.objects.filter(period=period)
        assert results.count() == SCALES["S"].salespeople
        assert not results.filter(rank__isnull=True).exists()
        assert period.closed_at < period.published_at


def test_the_engine_scores_a_seeded_salesperson_live(company):
    period = Period.objects.filter(state=PeriodState.OPEN).order_by("starts_on").first()
    person = User.objects.filter(role_grants__role=Role.SALESPERSON, is_active=True).first()
    scores = engine.evaluate([person], period, use_cache=False)
    score = scores[person.pk]
    assert 0 < score.total <= 100
    followups = score.item("followup_count")
    assert followups["value"] is not None and followups["value"] > 0


def test_the_stall_job_and_the_alert_detection_ran(company):
    from pathscore.insights.models import Alert

    assert StallThreshold.objects.exists() or NodeInstance.objects.count() < 200
    assert Alert.objects.exists()


def test_dashboards_render_for_a_manager_and_an_executive(company, client):
    manager = User.objects.get(username="manager001")
    executive = User.objects.get(username="ceo")
    for user in (manager, executive):
        client.force_login(user)
        for url in ("/", "/insights/"):
            response = client.get(url)
            assert response.status_code == 200, (user.username, url)


# --- the progress bar ---------------------------------------------------------------------


def test_progress_prints_one_line_per_phase_when_not_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream)
    with progress.phase("follow-ups", 3) as phase:
        phase.advance(2)
        phase.advance()
    text = stream.getvalue()
    assert "\r" not in text
    assert text.count("\n") == 1
    assert "follow-ups" in text and " 3 in " in text


def test_progress_redraws_a_bar_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, live=True)
    with progress.phase("projects", 100) as phase:
        phase._drawn = -1.0
        phase.advance(50)
    text = stream.getvalue()
    assert "\r  projects" in text and "50/100" in text and "ETA" in text
    assert text.endswith("\n")


def test_the_generated_credit_and_signers_match_the_rule(company):
    # Written with each row (no pass over the tables afterwards), so checked here.
    assert NodeInstance.objects.filter(credited_to__isnull=False).exists()
    assert Project.objects.filter(status=ProjectStatus.WON, signed_by__isnull=False).exists()
    found = credit_check()
    assert not found, found


def test_the_generated_follow_up_chains_match_the_rule(company):
    # Backfilled in one pass after the follow-ups are written, so checked here.
    from pathscore.crm.chain import chain_check
    from pathscore.crm.joint import joint_mismatches
    from pathscore.crm.models import FollowUp

    assert FollowUp.objects.filter(previous_at__isnull=False).exists()
    # The flags too: some follow-ups carried out a plan, some had technical support along.
    assert FollowUp.objects.filter(planned=True).exists()
    assert FollowUp.objects.filter(joint=True).exists()
    assert chain_check() == []
    assert joint_mismatches() == []
