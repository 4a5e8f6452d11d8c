"""Reads of the process engine, one section per area."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Window

from pathscore.core.choices import Role
from pathscore.core.scoping import Scope, scope_for, subtree_q
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import DocumentVersion, Project
from pathscore.process.choices import (
    OPEN_STATES,
    DelayDecision,
    NodeState,
    ReviewerRole,
    SubmissionState,
    VersionStatus,
)
from pathscore.process.models import (
    DelayReason,
    NodeInstance,
    ProjectProcess,
    Submission,
    TemplateVersion,
)

# --- Nodes ---------------------------------------------------------------------------------

#: The "My nodes" panel lists open nodes due within this many days (and every overdue one).
MY_NODES_HORIZON_DAYS = 7
#: How many rows a home panel lists; its badge counts them all.
PANEL_LIMIT = 10


def _reviewable_q(scope: Scope, prefix: str = "") -> Q:
    """Nodes ``scope`` may review, as in ``services._is_reviewer``: the owner's managers
    review manager-reviewed nodes; technical support and HR review the nodes given to them."""
    q = Q(pk__in=[])
    if scope.managed_paths:
        q |= Q(**{f"{prefix}definition__reviewer_role": ReviewerRole.MANAGER}) & subtree_q(
            f"{prefix}project__owner__department__path", scope.managed_paths
        )
    if scope.has_role(Role.TECHNICAL_SUPPORT):
        q |= Q(**{f"{prefix}definition__reviewer_role": ReviewerRole.TECHNICAL_SUPPORT})
    if scope.has_role(Role.HR_ADMIN):
        q |= Q(**{f"{prefix}definition__reviewer_role": ReviewerRole.HR_ADMIN})
    return q


def managed_owner_q(scope: Scope, lookup: str = "project__owner__department__path") -> Q:
    """Rows whose project owner sits in a department ``scope`` heads (or any, for HR and
    executives)."""
    if scope.sees_all_records:
        return Q()
    return subtree_q(lookup, scope.managed_paths)


def _latest_reason(field: str):
    return Subquery(
        DelayReason.objects.filter(node=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values(field)[:1]
    )


def _with_reason_status(queryset):
    """Annotate each node with its latest delay reason (decision, text, category)."""
    return queryset.annotate(
        reason_decision=_latest_reason("decision"),
        reason_text=_latest_reason("text"),
        reason_category=_latest_reason("category__name"),
        reason_category_en=_latest_reason("category__name_en"),
        has_pending_reason=Exists(
            DelayReason.objects.filter(node=OuterRef("pk"), decision=DelayDecision.PENDING)
        ),
    )


def process_for_project(project: Project) -> ProjectProcess | None:
    """The project's process with its template version, or None when it has none."""
    return (
        ProjectProcess.objects.filter(project=project).select_related("version__template").first()
    )


def timeline_nodes(project: Project, viewer) -> list[NodeInstance]:
    """The project's nodes in path order, with their definition and delay-reason status,
    in one query."""
    nodes = (
        NodeInstance.objects.visible_to(viewer)
        .filter(project=project)
        .select_related("definition")
        .order_by("order")
    )
    return list(_with_reason_status(nodes))


def startable_versions():
    """Published versions of active templates, for starting a project's process."""
    return (
        TemplateVersion.objects.filter(status=VersionStatus.PUBLISHED, template__is_active=True)
        .select_related("template")
        .order_by("template__name")
    )


def node_for_page(viewer):
    """The queryset a node's page looks its object up in."""
    return NodeInstance.objects.visible_to(viewer).select_related(
        "definition__version__template",
        "project__customer",
        "project__owner__department",
        "submitted_by",
    )


def submissions_for_node(node: NodeInstance):
    """Every attempt at a node, newest first, with people and attachments loaded."""
    return node.submissions.select_related("submitted_by", "reviewed_by").prefetch_related(
        Prefetch(
            "documents",
            queryset=DocumentVersion.objects.select_related("document").order_by(
                "document__title", "number"
            ),
        )
    )


def delay_reasons_for_node(node: NodeInstance):
    return node.delay_reasons.select_related("category", "given_by", "decided_by").order_by(
        "-created_at", "-pk"
    )


def attachable_versions(project: Project, viewer):
    """Document versions of ``project`` that ``viewer`` may attach, grouped by document."""
    return (
        DocumentVersion.objects.visible_to(viewer)
        .filter(document__project=project)
        .select_related("document")
        .order_by("document__title", "document_id", "-number")
    )


def review_queue(viewer):
    """Submissions awaiting ``viewer``'s review, oldest first: only nodes of projects they
    can see and may review, never their own."""
    scope = scope_for(viewer)
    return (
        Submission.objects.visible_to(viewer)
        .filter(
            _reviewable_q(scope, prefix="node__"),
            state=SubmissionState.PENDING,
            node__state=NodeState.SUBMITTED,
            project_id__in=Project.objects.visible_in(scope).values("pk"),
        )
        .exclude(submitted_by_id=scope.user_id)
        .select_related("node__definition", "project__customer", "project__owner", "submitted_by")
        .order_by("submitted_at", "pk")
    )


def delayed_nodes(viewer, today: dt.date):
    """Overdue open nodes of the viewer's team (their department subtree; everyone's for HR
    and executives), and any node with a reason awaiting a decision, most overdue first."""
    scope = scope_for(viewer)
    overdue = Q(state__in=OPEN_STATES, planned_due__lt=today)
    nodes = (
        NodeInstance.objects.visible_to(viewer)
        .filter(managed_owner_q(scope))
        .select_related("definition", "project__customer", "project__owner")
    )
    nodes = _with_reason_status(nodes).filter(overdue | Q(has_pending_reason=True))
    return nodes.order_by("planned_due", "pk")


def my_due_nodes(user, today: dt.date):
    """The user's own open nodes on active projects that are overdue or due within
    ``MY_NODES_HORIZON_DAYS``, soonest first."""
    return (
        NodeInstance.objects.visible_to(user)
        .filter(
            project__owner=user,
            project__status=ProjectStatus.ACTIVE,
            state__in=OPEN_STATES,
            planned_due__lte=today + dt.timedelta(days=MY_NODES_HORIZON_DAYS),
        )
        .select_related("definition", "project")
        .order_by("planned_due", "pk")
    )


def delay_reasons_to_decide(viewer):
    """Reasons awaiting the viewer's decision: pending, on projects of people they manage."""
    scope = scope_for(viewer)
    if not scope.managed_paths:
        return DelayReason.objects.none()
    return (
        DelayReason.objects.visible_to(viewer)
        .filter(
            subtree_q("project__owner__department__path", scope.managed_paths),
            decision=DelayDecision.PENDING,
        )
        .select_related("node__definition", "project", "category", "given_by")
        .order_by("created_at", "pk")
    )


def first_rows_and_total(queryset, limit: int = PANEL_LIMIT) -> tuple[list, int]:
    """The first ``limit`` rows and how many there are in all, in one query."""
    rows = list(queryset.annotate(total=Window(Count("pk")))[:limit])
    return rows, (rows[0].total if rows else 0)
