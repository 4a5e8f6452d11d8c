"""The fairness scenario of the evaluation (PRODUCT.md §3), under the bundled default
scorecard and the real indicators.

A signed nothing but follows up at 1.5× the team average, wrote a requirement report rated
90/100 and works with the technical team; B signed one contract but needed 5 proposal
revisions against a team average of 2, and the customer says B does not know the
technical details. A's process and ability scores rank above B's, and B's weaknesses show
on B's score.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from pathscore.core.choices import Role
from pathscore.crm import services as crm_services
from pathscore.org import services as org_services
from pathscore.org.choices import DepartmentKind
from pathscore.process import services as process_services
from pathscore.scoring import engine
from pathscore.scoring import services as scoring_services
from pathscore.scoring.bundled import DEFAULT_CODE
from tests.crm import factories

pytestmark = pytest.mark.django_db


def pdf(marker: str) -> ContentFile:
    body = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        + f"% {marker}\n".encode()
        + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    return ContentFile(body, name=f"{marker}.pdf")


def salesperson(username, team):
    return org_services.user_create(
        username=username,
        name=username,
        password="x-pass-2026",
        roles=[Role.SALESPERSON],
        department=team,
        validate_password_strength=False,
    )


def followups(person, project, count, participants=()):
    for number in range(count):
        factories.followup(
            person,
            project,
            content=f"第{number + 1}次拜访",
            days_ago=number + 1,
            participants=participants,
        )


def proposal_with_revisions(person, project, revisions):
    version = crm_services.document_create(
        actor=person, project=project, kind="proposal", title="技术方案", file=pdf("p1")
    )
    for number in range(revisions):
        version = crm_services.document_add_version(
            actor=person,
            document=version.document,
            file=pdf(f"p{number + 2}"),
            change_note=f"第{number + 2}版",
        )
    return version


@pytest.fixture
def fairness(personas):
    team = org_services.department_create(
        name="公平性测试组", code="t-fair", kind=DepartmentKind.TEAM, parent=personas.east
    )
    a, b, c = (salesperson(name, team) for name in ("fair_a", "fair_b", "fair_c"))
    today = timezone.localdate()
    project_a = factories.project(a, name="甲项目")
    project_b = factories.project(b, name="乙项目")
    project_c = factories.project(c, name="丙项目")

    # Follow-ups: 9, 3 and 6 — the team averages 6, A has 1.5× that. Two of A's visits
    # were made together with the technical team.
    followups(a, project_a, 7)
    followups(a, project_a, 2, participants=[personas.tech])
    followups(b, project_b, 3)
    followups(c, project_c, 6)

    # A's requirement report, rated 90/100 for quality.
    report = crm_services.document_create(
        actor=a, project=project_a, kind="requirement_report", title="需求分析报告", file=pdf("r")
    )
    scoring_services.quality_rating_create(actor=personas.hr, version=report, score=90)

    # Proposal revisions: 1, 5 and 0 (C's proposal needed none) — the team averages 2.
    proposal_with_revisions(a, project_a, 1)
    proposal_with_revisions(b, project_b, 5)
    proposal_with_revisions(c, project_c, 0)

    # A relays the customer's feedback to the technical team within the hour.
    from pathscore.core.models import Option

    process_services.task_create(
        project=project_a,
        kind=Option.objects.get(kind="task_kind", code="proposal-design"),
        title="根据客户反馈调整方案",
        assignee_department=personas.tech_dept,
        due_date=today + dt.timedelta(days=5),
        created_by=a,
        feedback_at=timezone.now() - dt.timedelta(minutes=40),
    )

    # The customer: B communicates well but does not know the technical details.
    scoring_services.customer_rating_create(
        actor=personas.hr,
        person=b,
        customer=project_b.customer,
        project=project_b,
        rated_on=today,
        domain_knowledge=1,
        communication=4,
        comment="对技术细节不了解",
        source="call",
    )

    # B signs one contract.
    crm_services.project_set_status(
        project=project_b,
        actor=b,
        status="won",
        signed_amount=D("800000"),
        signed_on=today - dt.timedelta(days=2),
    )
    period = (today - dt.timedelta(days=60), today)
    return a, b, c, period


def test_process_and_ability_outrank_a_single_signature(fairness):
    a, b, c, period = fairness
    assert engine.scorecard_for(a).code == DEFAULT_CODE
    scores = engine.evaluate([a, b, c], period)
    score_a, score_b = scores[a.pk], scores[b.pk]

    # The scenario's facts, as the indicators see them.
    assert score_a.item("followup_count")["value"] == D(9)
    assert score_a.item("followup_count")["team_average"] == D(6)
    assert score_a.item("quality_score")["value"] == D(90)
    assert score_a.item("contracts_signed")["value"] == D(0)
    assert score_b.item("contracts_signed")["value"] == D(1)

    assert score_a.dimensions["process"] > score_b.dimensions["process"]
    assert score_a.dimensions["ability"] > score_b.dimensions["ability"]
    # The signature still counts where it belongs.
    assert score_b.dimensions["results"] > score_a.dimensions["results"]

    # B's weaknesses are visible on B's score: each with value, team average and points.
    revisions = score_b.item("proposal_revision_count")
    assert (revisions["value"], revisions["team_average"]) == (D(5), D(2))
    assert revisions["points"] == D("25.00")  # lower is better: 100 at ≤ 2, 0 at ≥ 6
    assert revisions["percentile"] < D(50)
    feedback = score_b.item("customer_feedback_rating")
    assert feedback["value"] == D(50)  # (1 + 4) × 10
    assert feedback["points"] < D(60)
    # Worse than the team on both, where A is at or above it.
    assert revisions["value"] > revisions["team_average"]
    assert score_a.item("proposal_revision_count")["points"] == D("100.00")
    assert feedback["points"] < score_a.item("quality_score")["points"]


def test_the_frozen_result_keeps_the_explanation(fairness, personas):
    a, b, _c, (start, end) = fairness
    period = scoring_services.period_create(
        actor=personas.hr, kind="custom", starts_on=start, ends_on=end
    )
    scoring_services.period_close(period=period, actor=personas.hr)
    result_a = period.results.get(person=a)
    result_b = period.results.get(person=b)
    assert D(result_a.dimensions["scores"]["process"]) > D(result_b.dimensions["scores"]["process"])
    revisions = next(i for i in result_b.items if i["indicator"] == "proposal_revision_count")
    assert (revisions["value"], revisions["points"], revisions["rules_version"]) == (
        "5",
        "25.00",
        1,
    )
