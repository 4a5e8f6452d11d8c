"""The indicator catalogue against hand-computed scenarios (docs/indicators.md).

The period is the 50 days ``today − 29`` … ``today + 20``; records are made through the
services and back-dated with ``.update()`` where a date outside the period is needed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathscore.core.choices import Role
from pathscore.core.models import Option
from pathscore.crm import services as crm_services
from pathscore.crm.choices import DocumentKind, MilestoneKind, ProjectStatus, TermState
from pathscore.crm.models import ContractTerm, DocumentVersion
from pathscore.org import services as org_services
from pathscore.process import services as process_services
from pathscore.process.models import HandoffTask, NodeDefinition, NodeInstance
from pathscore.scoring import catalogue as catalogue_module
from pathscore.scoring.indicators import catalogue, compute, get, shared_reads
from pathscore.scoring.models import (
    Attendance,
    CustomerRating,
    QualityRating,
    TrainingCourse,
    TrainingSession,
)
from tests.crm import factories
from tests.crm.test_uploads import pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def period():
    today = timezone.localdate()
    return today - dt.timedelta(days=29), today + dt.timedelta(days=20)


@pytest.fixture
def sales_a2(personas):
    return org_services.user_create(
        username="sales_a2",
        name="孙新人",
        password=None,
        roles=[Role.SALESPERSON],
        department=personas.team_a,
    )


def values(code, people, period, **params):
    start, end = period
    result = compute(code, [p.pk for p in people], start, end, params or None)
    return [result[p.pk] for p in people]


def d(*numbers):
    return [Decimal(str(n)) for n in numbers]


def days_ago(n):
    return timezone.now() - dt.timedelta(days=n)


def task_kind():
    return Option.objects.filter(kind="task_kind").order_by("pk").first()


# --- The catalogue itself ------------------------------------------------------------------

CODES = {
    "process": [
        "followup_count",
        "node_completion_rate",
        "node_on_time_rate",
        "stage_conversion_rate",
        "followup_cycle",
        "proposal_revision_count",
        "feedback_relay_time",
        "cross_team_interactions",
    ],
    "ability": ["customer_feedback_rating", "quality_score", "terms_agreed_rate"],
    "attitude": ["training_participation_rate", "initiative"],
    "results": ["contracts_signed", "signed_amount", "pipeline_advanced", "node_score_total"],
}


def test_every_indicator_of_the_issue_is_registered_with_its_dimension():
    registered = {i.code: i for i in catalogue()}
    for dimension, codes in CODES.items():
        for code in codes:
            assert registered[code].dimension == dimension
            assert registered[code].evidence is not None
            assert str(registered[code].name) and str(registered[code].definition)
            assert str(registered[code].unit)
    lower = {i.code for i in catalogue() if i.direction == "lower"}
    assert lower == {"followup_cycle", "proposal_revision_count", "feedback_relay_time"}


def test_every_indicator_is_documented():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "indicators.md").read_text(
        encoding="utf-8"
    )
    for indicator in catalogue():
        assert f"`{indicator.code}`" in text


# --- Follow-ups, hand-off tasks, needs -----------------------------------------------------


@pytest.fixture
def followup_scenario(personas, sales_a2):
    """sales_a: four follow-ups on PA (one 40 days ago), one with the technical team, one
    customer need handled, three hand-off tasks (one 40 days ago); PA then handed over to
    sales_a2, who records one follow-up. sales_b: one follow-up and one task."""
    pa = factories.project(personas.sales_a, name="苏州储能项目")
    pb = factories.project(personas.sales_b, name="唐山配电项目")
    old = factories.followup(personas.sales_a, pa, days_ago=40)
    first = factories.followup(
        personas.sales_a,
        pa,
        days_ago=20,
        next_action="送技术方案",
        next_action_date=timezone.localdate() - dt.timedelta(days=10),
        needs=["需要储能容量测算"],
    )
    planned = factories.followup(personas.sales_a, pa, days_ago=10)
    joint = factories.followup(personas.sales_a, pa, days_ago=2, participants=[personas.tech])
    crm_services.need_mark_handled(need=first.needs.get(), actor=personas.sales_a)
    due = timezone.localdate() + dt.timedelta(days=5)
    tasks = []
    for hours in (6, 2, 1):
        tasks.append(
            process_services.task_create(
                project=pa,
                kind=task_kind(),
                title="方案调整",
                assignee_department=personas.tech_dept,
                due_date=due,
                created_by=personas.sales_a,
                feedback_at=timezone.now() - dt.timedelta(hours=hours),
            )
        )
    created = timezone.now() - dt.timedelta(days=3)
    HandoffTask.objects.filter(pk=tasks[0].pk).update(
        created_at=created, feedback_at=created - dt.timedelta(hours=6)
    )
    HandoffTask.objects.filter(pk=tasks[1].pk).update(
        created_at=created, feedback_at=created - dt.timedelta(hours=2)
    )
    HandoffTask.objects.filter(pk=tasks[2].pk).update(created_at=days_ago(40))
    process_services.task_create(
        project=pb,
        kind=task_kind(),
        title="技术答疑",
        assignee_department=personas.tech_dept,
        due_date=due,
        created_by=personas.sales_b,
    )
    factories.followup(personas.sales_b, pb, days_ago=5)
    crm_services.project_hand_over(
        project=pa, actor=personas.manager_a, new_owner=sales_a2, reason="调岗"
    )
    factories.followup(sales_a2, pa, days_ago=1)
    return {"old": old, "first": first, "planned": planned, "joint": joint, "pa": pa}


def test_follow_up_count_credits_the_author_after_a_hand_over(
    personas, sales_a2, period, followup_scenario
):
    people = [personas.sales_a, sales_a2, personas.sales_b, personas.hr]
    assert values("followup_count", people, period) == d(3, 1, 1, 0)
    evidence = get("followup_count").evidence(personas.sales_a, *period, {})
    assert [f.pk for f in evidence] == [
        followup_scenario[k].pk for k in ("joint", "planned", "first")
    ]


def test_follow_up_cycle_is_the_mean_gap_or_the_period_length(
    personas, sales_a2, period, followup_scenario
):
    # sales_a: 20, 10 and 2 days ago on PA → gaps 10 and 8 → 9 days. Nobody else has two
    # follow-ups on one active project: the period's 50 days.
    people = [personas.sales_a, sales_a2, personas.sales_b, personas.hr]
    assert values("followup_cycle", people, period) == d("9.00", 50, 50, 50)
    # A lost project is no longer active: its follow-ups do not count.
    crm_services.project_set_status(
        project=followup_scenario["pa"],
        actor=personas.manager_a,
        status=ProjectStatus.LOST,
        reason="客户取消",
    )
    assert values("followup_cycle", [personas.sales_a], period) == d(50)


def test_cross_team_interactions_and_feedback_relay_time(
    personas, sales_a2, period, followup_scenario
):
    people = [personas.sales_a, sales_a2, personas.sales_b, personas.hr]
    # sales_a: the follow-up with tech + two tasks in the period (the third is 40 days old).
    assert values("cross_team_interactions", people, period) == d(3, 0, 1, 0)
    # sales_a: feedback 6 h and 2 h before the task → 4 h; sales_b's task had no feedback
    # and the others relayed none, so the indicator does not apply to them (None): a zero
    # would be full marks for a "lower is better" indicator.
    assert values("feedback_relay_time", people, period) == [Decimal("4.00"), None, None, None]
    joint, tasks = get("cross_team_interactions").evidence(personas.sales_a, *period, {})
    assert [f.pk for f in joint] == [followup_scenario["joint"].pk]
    assert tasks.count() == 2


def test_initiative_leaves_out_follow_ups_that_carried_out_a_plan(
    personas, sales_a2, period, followup_scenario
):
    # sales_a: 20 days ago (unplanned), 10 days ago (planned for that day: not counted),
    # 2 days ago (8 days from the plan: counted) + one need handled = 3.
    people = [personas.sales_a, sales_a2, personas.sales_b, personas.hr]
    assert values("initiative", people, period) == d(3, 1, 1, 0)
    unplanned, needs = get("initiative").evidence(personas.sales_a, *period, {})
    assert {f.pk for f in unplanned} == {
        followup_scenario["first"].pk,
        followup_scenario["joint"].pk,
    }
    assert needs.count() == 1


def test_joint_follow_ups_follow_the_participants_roles(
    personas, sales_a2, period, followup_scenario
):
    # The joint flag is stored on each follow-up (crm.joint); it moves with the roles of
    # the people who took part, as the indicator always counted them.
    people = [personas.sales_a, sales_a2, personas.sales_b, personas.hr]
    assert values("cross_team_interactions", people, period) == d(3, 0, 1, 0)
    tech_roles = list(personas.tech.role_codes)
    org_services.user_update(user=personas.tech, actor=personas.sysadmin, roles=[Role.SALESPERSON])
    assert values("cross_team_interactions", people, period) == d(2, 0, 1, 0)
    org_services.user_update(user=personas.tech, actor=personas.sysadmin, roles=tech_roles)
    assert values("cross_team_interactions", people, period) == d(3, 0, 1, 0)
    # A colleague who becomes technical support makes the follow-ups they joined joint.
    together = factories.followup(
        personas.sales_b,
        factories.project(personas.sales_b, name="合作项目"),
        days_ago=3,
        participants=[personas.sales_a],
    )
    assert values("cross_team_interactions", people, period) == d(3, 0, 1, 0)
    org_services.user_update(
        user=personas.sales_a,
        actor=personas.sysadmin,
        roles=[*personas.sales_a.role_codes, Role.TECHNICAL_SUPPORT],
    )
    together.refresh_from_db()
    assert together.joint
    assert values("cross_team_interactions", people, period) == d(3, 0, 2, 0)


def test_one_evaluation_reads_the_follow_ups_once_for_a_team(
    personas, sales_a2, period, followup_scenario
):
    people = [personas.sales_a, sales_a2, personas.sales_b, personas.hr]
    codes = ("followup_count", "cross_team_interactions", "initiative")
    with CaptureQueriesContext(connection) as apart:
        for code in codes:
            values(code, people, period)
    with CaptureQueriesContext(connection) as shared, shared_reads():
        for code in codes:
            values(code, people, period)

    def followup_reads(context):
        return [q for q in context.captured_queries if 'FROM "crm_followup"' in q["sql"]]

    assert len(followup_reads(apart)) == 3
    assert len(followup_reads(shared)) == 1
    # The other reads (hand-off tasks, customer needs) are as apart.
    assert len(shared) == len(apart) - 2


def test_a_plan_three_days_off_is_still_a_plan(personas, period):
    pa = factories.project(personas.sales_a)
    factories.followup(
        personas.sales_a,
        pa,
        days_ago=12,
        next_action="回访",
        next_action_date=timezone.localdate() - dt.timedelta(days=8),
    )
    factories.followup(personas.sales_a, pa, days_ago=5)  # 3 days after the plan
    assert values("initiative", [personas.sales_a], period) == d(1)


# --- Nodes ---------------------------------------------------------------------------------


def first_visit_data():
    return {"key_contact": "周建国 副总经理", "visit_date": timezone.localdate().isoformat()}


def requirement_data():
    return {"power_load": "12MW", "existing_equipment": "两台主变", "demand_forecast": "年增5%"}


def current(project):
    return NodeInstance.objects.select_related("definition", "project").get(
        project=project, state__in=["in_progress", "returned", "submitted"]
    )


def submit_and_approve(node, user, reviewer, quality, data, documents=()):
    process_services.node_submit(
        node=node,
        user=user,
        data=data,
        checklist=node.definition.checklist,
        documents=documents,
    )
    process_services.review_approve(
        node=current(node.project), reviewer=reviewer, quality_score=Decimal(quality)
    )


@pytest.fixture
def node_scenario(personas, sales_a2):
    """P1 (sales_a, started 5 days ago): first visit approved on time (quality 80), then
    handed to sales_a2, who delivers the requirement report (quality 90).
    P2 (sales_a, started 20 days ago): first visit approved 6 days late (quality 70),
    requirement report in progress. P3 (sales_b, started 20 days ago): first visit not
    submitted, 6 days overdue."""
    today = timezone.localdate()
    p1 = factories.project(personas.sales_a, name="P1", started_on=today - dt.timedelta(days=5))
    p2 = factories.project(personas.sales_a, name="P2", started_on=today - dt.timedelta(days=20))
    p3 = factories.project(personas.sales_b, name="P3", started_on=today - dt.timedelta(days=20))
    for project in (p1, p2, p3):
        process_services.process_start(project=project)
    submit_and_approve(current(p1), personas.sales_a, personas.manager_a, 80, first_visit_data())
    submit_and_approve(current(p2), personas.sales_a, personas.manager_a, 70, first_visit_data())
    crm_services.project_hand_over(
        project=p1, actor=personas.manager_a, new_owner=sales_a2, reason="调岗"
    )
    report = crm_services.document_create(
        actor=sales_a2,
        project=p1,
        kind=DocumentKind.REQUIREMENT_REPORT,
        title="需求分析报告",
        file=upload("报告.pdf", pdf_bytes("R1")),
    )
    submit_and_approve(
        current(p1), sales_a2, personas.manager_a, 90, requirement_data(), documents=[report]
    )
    return {"p1": p1, "p2": p2, "p3": p3}


def test_the_standard_process_has_six_nodes(node_scenario):
    version = node_scenario["p1"].process.version
    assert NodeDefinition.objects.filter(version=version).count() == 6


def test_node_completion_rate_counts_nodes_due_in_the_period(
    personas, sales_a2, period, node_scenario
):
    # sales_a: P1 first visit (approved), P2 first visit (approved), P2 report (due in 14
    # days, not submitted: the owner's) → 2/3. sales_a2: P1 report 1/1. sales_b: P3 0/1.
    people = [personas.sales_a, sales_a2, personas.sales_b, personas.hr]
    assert values("node_completion_rate", people, period) == d("66.67", 100, 0, 0)
    evidence = get("node_completion_rate").evidence(personas.sales_a, *period, {})
    assert [n.done for n in evidence] == [True, True, False]


def test_node_on_time_rate_marks_the_late_node(personas, sales_a2, period, node_scenario):
    people = [personas.sales_a, sales_a2, personas.sales_b]
    assert values("node_on_time_rate", people, period) == d(50, 100, 0)
    evidence = list(get("node_on_time_rate").evidence(personas.sales_a, *period, {}))
    late = [n for n in evidence if not n.on_time]
    assert [n.project_id for n in late] == [node_scenario["p2"].pk]
    assert late[0].days_late == 6


def test_stage_conversion_rate(personas, sales_a2, period, node_scenario):
    people = [personas.sales_a, sales_a2, personas.sales_b]
    # sales_a completed two first visits; only P1 went on to an approved report.
    assert values("stage_conversion_rate", people, period) == d(50, 0, 0)
    # Other nodes: of sales_a2's one approved report, none reached the proposal demo.
    custom = {"from_node": "requirement-report", "to_node": "proposal-demo"}
    assert values("stage_conversion_rate", people, period, **custom) == d(0, 0, 0)
    evidence = get("stage_conversion_rate").evidence(
        personas.sales_a, *period, get("stage_conversion_rate").params
    )
    assert sorted(n.converted for n in evidence) == [False, True]


def test_results_from_nodes_follow_the_submitter(personas, sales_a2, period, node_scenario):
    people = [personas.sales_a, sales_a2, personas.sales_b]
    # Two first visits (node 1 of 6) for sales_a; the report (node 2 of 6) for sales_a2.
    assert values("pipeline_advanced", people, period) == d("0.33", "0.33", 0)
    # P1 first visit 10 × 0.8 = 8; P2 first visit 10 × 0.7 − 5 (6 days late, capped) = 2;
    # P1 report 20 × 0.9 = 18.
    assert values("node_score_total", people, period) == d(10, 18, 0)


def test_quality_score_averages_ratings_and_reviews(personas, sales_a2, period, node_scenario):
    proposal = crm_services.document_create(
        actor=personas.sales_a,
        project=node_scenario["p2"],
        kind=DocumentKind.PROPOSAL,
        title="技术方案",
        file=upload("方案.pdf", pdf_bytes("V1")),
    )
    rating = {"person": personas.sales_a, "version": proposal, "rated_by": personas.tech}
    QualityRating.objects.create(score=90, rated_on=timezone.localdate(), **rating)
    QualityRating.objects.create(
        score=10,
        rated_on=timezone.localdate() - dt.timedelta(days=40),
        **rating | {"rated_by": personas.manager_a},
    )
    people = [personas.sales_a, sales_a2, personas.sales_b]
    # sales_a: reviews 80 and 70, rating 90 → 80; sales_a2: review 90.
    assert values("quality_score", people, period) == d(80, 90, 0)
    ratings, nodes = get("quality_score").evidence(personas.sales_a, *period, {})
    assert ratings.count() == 1 and nodes.count() == 2


def test_proposal_revisions_count_versions_after_v1_by_their_uploader(personas, period):
    pa = factories.project(personas.sales_a)
    pb = factories.project(personas.sales_b, name="B项目")
    v1 = crm_services.document_create(
        actor=personas.sales_a,
        project=pa,
        kind=DocumentKind.PROPOSAL,
        title="方案",
        file=upload("方案.pdf", pdf_bytes("V1")),
    )
    for note in ("调整报价", "调整设备", "补充图纸"):
        last = crm_services.document_add_version(
            actor=personas.sales_a,
            document=v1.document,
            file=upload("方案.pdf", pdf_bytes(note)),
            change_note=note,
        )
    DocumentVersion.objects.filter(pk=last.pk).update(uploaded_at=days_ago(40))
    crm_services.document_create(
        actor=personas.sales_b,
        project=pb,
        kind=DocumentKind.PROPOSAL,
        title="方案",
        file=upload("方案.pdf", pdf_bytes("B1")),
    )
    people = [personas.sales_a, personas.sales_b, personas.manager_a]
    # sales_b wrote a proposal that needed no revision: 0. manager_a wrote none: the
    # indicator does not apply (None), rather than the full marks a zero would earn.
    assert values("proposal_revision_count", people, period) == [Decimal(2), Decimal(0), None]
    evidence = get("proposal_revision_count").evidence(personas.sales_a, *period, {})
    assert [v.number for v in evidence] == [2, 3]


# --- Ratings, terms, training, contracts ---------------------------------------------------


def test_customer_feedback_rating_is_scaled_to_100(personas, period):
    customer = factories.customer(personas.sales_a)
    today = timezone.localdate()

    def rate(person, knowledge, communication, on=today):
        CustomerRating.objects.create(
            person=person,
            customer=customer,
            rated_on=on,
            domain_knowledge=knowledge,
            communication=communication,
            recorded_by=personas.manager_a,
        )

    rate(personas.sales_a, 4, 5)
    rate(personas.sales_a, 3, 4)
    rate(personas.sales_a, 1, 1, on=today - dt.timedelta(days=40))
    rate(personas.sales_b, 2, 3)
    people = [personas.sales_a, personas.sales_b, personas.hr]
    # sales_a: (4.5 + 3.5) / 2 = 4 of 5 → 80; sales_b: 2.5 of 5 → 50.
    # Nobody asked a customer about HR: not applicable rather than 0.
    assert values("customer_feedback_rating", people, period) == [Decimal(80), Decimal(50), None]


def test_terms_agreed_rate(personas, period):
    pa = factories.project(personas.sales_a)
    pb = factories.project(personas.sales_b, name="B项目")
    terms = [
        crm_services.term_create(
            actor=personas.sales_a, project=pa, topic=topic, description="条款"
        )
        for topic in ("price", "payment", "warranty", "delivery")
    ]
    for term in terms[:2]:
        crm_services.term_update(term=term, actor=personas.sales_a, state=TermState.AGREED)
    ContractTerm.objects.filter(pk=terms[3].pk).update(updated_at=days_ago(40))
    crm_services.term_create(actor=personas.sales_b, project=pb, topic="price", description="价")
    people = [personas.sales_a, personas.sales_b, personas.hr]
    # HR negotiated no terms: not applicable rather than 0.
    assert values("terms_agreed_rate", people, period) == [Decimal("66.67"), Decimal(0), None]


def test_training_participation_rate(personas, period):
    course = TrainingCourse.objects.create(code="tech-basics", name="电力技术基础")
    today = timezone.localdate()
    sessions = [
        TrainingSession.objects.create(course=course, held_on=today - dt.timedelta(days=n))
        for n in (10, 5, 40)
    ]

    def attend(session, person, attended, required=True):
        Attendance.objects.create(
            session=session, person=person, attended=attended, required=required
        )

    attend(sessions[0], personas.sales_a, True)
    attend(sessions[1], personas.sales_a, False)
    attend(sessions[0], personas.sales_b, False)
    attend(sessions[1], personas.sales_b, True, required=False)
    attend(sessions[2], personas.sales_b, True)
    people = [personas.sales_a, personas.sales_b, personas.hr]
    # HR had no required session: not applicable rather than 0. A required session still
    # to come is not missed yet.
    assert values("training_participation_rate", people, period) == [
        Decimal(50),
        Decimal(0),
        None,
    ]
    upcoming = TrainingSession.objects.create(course=course, held_on=today + dt.timedelta(days=3))
    attend(upcoming, personas.sales_a, False)
    assert values("training_participation_rate", people, period)[0] == Decimal(50)
    evidence = get("training_participation_rate").evidence(personas.sales_b, *period, {})
    assert [a.attended for a in evidence] == [False]


def test_contracts_are_credited_to_who_recorded_the_signature(personas, sales_a2, period):
    today = timezone.localdate()
    mine = factories.project(personas.sales_a, name="A签约")
    crm_services.milestone_record(
        actor=personas.sales_a,
        project=mine,
        kind=MilestoneKind.SIGNED,
        reached_on=today - dt.timedelta(days=3),
        signed_amount=Decimal("1500000"),
    )
    handed = factories.project(personas.sales_a, name="移交后签约")
    crm_services.project_hand_over(
        project=handed, actor=personas.manager_a, new_owner=sales_a2, reason="调岗"
    )
    crm_services.milestone_record(
        actor=sales_a2,
        project=handed,
        kind=MilestoneKind.SIGNED,
        reached_on=today - dt.timedelta(days=1),
        signed_amount=Decimal("800000"),
    )
    no_milestone = factories.project(personas.sales_b, name="B签约")
    crm_services.project_set_status(
        project=no_milestone,
        actor=personas.sales_b,
        status=ProjectStatus.WON,
        signed_amount=Decimal("234567.89"),
        signed_on=today,
    )
    old = factories.project(personas.sales_a, name="旧合同")
    crm_services.project_set_status(
        project=old,
        actor=personas.sales_a,
        status=ProjectStatus.WON,
        signed_amount=Decimal("9000000"),
        signed_on=today - dt.timedelta(days=40),
    )
    people = [personas.sales_a, sales_a2, personas.sales_b, personas.hr]
    assert values("contracts_signed", people, period) == d(1, 1, 1, 0)
    assert values("signed_amount", people, period) == d(150, 80, "23.46", 0)
    evidence = get("contracts_signed").evidence(sales_a2, *period, {})
    assert [p.pk for p in evidence] == [handed.pk]


# --- Queries -------------------------------------------------------------------------------


def test_compute_runs_the_same_few_queries_for_any_number_of_people(
    personas, sales_a2, period, followup_scenario, node_scenario, django_assert_max_num_queries
):
    few = [personas.sales_a.pk, personas.sales_b.pk]
    many = [p.pk for p in personas.all_people()] + [sales_a2.pk]
    start, end = period
    for indicator in catalogue():
        with CaptureQueriesContext(connection) as small:
            compute(indicator.code, few, start, end)
        with CaptureQueriesContext(connection) as large:
            compute(indicator.code, many, start, end)
        # At most three: the joint follow-ups read the technical support staff's ids first.
        assert len(small) == len(large) <= 3, indicator.code
    with django_assert_max_num_queries(25):
        for indicator in catalogue():
            compute(indicator.code, many, start, end)


def test_evidence_lists_normalises_to_a_list(personas, period, followup_scenario):
    start, end = period
    lists = catalogue_module.evidence_lists("cross_team_interactions", personas.sales_a, start, end)
    assert len(lists) == 2
    lists = catalogue_module.evidence_lists("followup_count", personas.sales_a, start, end)
    assert len(lists) == 1 and lists[0].count() == 3
