"""A small company whose dashboard figures can be worked out by hand.

Dates are relative to today (T); the period under test is T−13 … T (14 days), so the
previous period is T−27 … T−14. Every timestamp is 10:00 local time, far from midnight.

Team A (sales_a):
* P1 南京配网运维 — grid, active. 首次拜访 approved on time (submitted T−3); now at
  需求分析报告提交, due T+3 (due soon), since T−3. Follow-ups T−20 (previous period),
  T−10, T−7, T−2 (gaps 3 and 5 days). A proposal with versions at T−9, T−6, T−2.
* P2 苏州钢厂配电 — industrial, active. At 首次拜访 since T−26 (threshold 21: stalled),
  due T−5 (overdue). One follow-up at T−1.
* P3 无锡储能 — new-energy, won: started T−200, signed T−5 (195 days). 首次拜访 approved
  2 days late (submitted T−8).

Team B (sales_b):
* P4 唐山钢厂改造 — grid, active. 首次拜访 approved on time (submitted T−4); at the second
  node since T−4. Two follow-ups (T−5, T−3). A proposal with one version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from pathscore.crm import services as crm_services
from pathscore.crm.choices import DocumentKind, ProjectStatus
from pathscore.crm.models import DocumentVersion, Project
from pathscore.insights.filters import Slice
from pathscore.insights.rollups import rollup_rebuild, rollup_refresh_owners
from pathscore.process import services as process_services
from pathscore.process.choices import NodeState
from pathscore.process.models import NodeInstance, ProjectProcess
from tests.crm import factories
from tests.crm.test_uploads import pdf_bytes, upload


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def followup(author, project, day: dt.date):
    return crm_services.followup_create(
        actor=author,
        project=project,
        occurred_at=at(day),
        mode=factories.option("followup_mode", "visit"),
        content="拜访客户，了解用电负荷。",
    )


def approve_first(project, *, submitted: dt.date, late: int = 0, by=None):
    """Approve the first node as the process engine would have, and make the second
    current since the approval."""
    first, second = NodeInstance.objects.filter(project=project).order_by("order")[:2]
    NodeInstance.objects.filter(pk=first.pk).update(
        state=NodeState.APPROVED,
        submitted_at=at(submitted),
        submitted_by=by or project.owner,
        completed_on=submitted,
        days_late=late,
    )
    NodeInstance.objects.filter(pk=second.pk).update(
        state=NodeState.IN_PROGRESS, started_on=submitted, planned_due=submitted + dt.timedelta(7)
    )
    ProjectProcess.objects.filter(project=project).update(
        current_node=second, current_since=submitted
    )
    # Written past the services, as an import from another system would: recount.
    rollup_refresh_owners([project.owner_id])
    return second


def proposal(actor, project, days: list[dt.date]):
    """A proposal with one version per day given (uploaded at 10:00 that day)."""
    version = crm_services.document_create(
        actor=actor,
        project=project,
        kind=DocumentKind.PROPOSAL,
        title="技术方案",
        file=upload("方案.pdf", pdf_bytes("V1")),
        change_note="初稿",
    )
    document = version.document
    for number in range(2, len(days) + 1):
        crm_services.document_add_version(
            actor=actor,
            document=document,
            file=upload("方案.pdf", pdf_bytes(f"V{number}")),
            change_note="调整报价",
        )
    for number, day in enumerate(days, start=1):
        DocumentVersion.objects.filter(document=document, number=number).update(uploaded_at=at(day))
    return document


@dataclass
class World:
    today: dt.date
    personas: object
    p1: Project
    p2: Project
    p3: Project
    p4: Project

    def slice(self, viewer, **narrowing) -> Slice:
        return Slice(
            viewer=viewer,
            start=self.today - dt.timedelta(days=13),
            end=self.today,
            today=self.today,
            **narrowing,
        )

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)


def build_world(personas) -> World:
    today = timezone.localdate()

    def day(offset):
        return today + dt.timedelta(days=offset)

    def new_project(owner, name, type_code, started):
        customer = factories.customer(owner, name=f"{name}客户", type_code=type_code)
        project = factories.project(owner, customer, name=name, started_on=started)
        process_services.process_start(project=project)
        return project

    sales_a, sales_b = personas.sales_a, personas.sales_b
    p1 = new_project(sales_a, "南京配网运维", "grid", day(-30))
    p2 = new_project(sales_a, "苏州钢厂配电", "industrial", day(-26))
    p3 = new_project(sales_a, "无锡储能", "new-energy", day(-200))
    p4 = new_project(sales_b, "唐山钢厂改造", "grid", day(-20))

    second = approve_first(p1, submitted=day(-3))
    NodeInstance.objects.filter(pk=second.pk).update(planned_due=day(3))
    NodeInstance.objects.filter(project=p2, order=1).update(
        started_on=day(-26), planned_due=day(-5)
    )
    ProjectProcess.objects.filter(project=p2).update(current_since=day(-26))
    approve_first(p3, submitted=day(-8), late=2)
    Project.objects.filter(pk=p3.pk).update(
        status=ProjectStatus.WON, signed_on=day(-5), closed_on=day(-5)
    )
    approve_first(p4, submitted=day(-4))

    for offset in (-20, -10, -7, -2):
        followup(sales_a, p1, day(offset))
    followup(sales_a, p2, day(-1))
    for offset in (-5, -3):
        followup(sales_b, p4, day(offset))

    proposal(sales_a, p1, [day(-9), day(-6), day(-2)])
    proposal(sales_b, p4, [day(-4)])
    # Statuses and nodes above were set past the services: count the rollup once more.
    rollup_rebuild()
    return World(today=today, personas=personas, p1=p1, p2=p2, p3=p3, p4=p4)


@pytest.fixture
def world(personas) -> World:
    return build_world(personas)
