"""Reads of the process engine, one section per area."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils.translation import get_language

from pathscore.core.choices import Role
from pathscore.core.scoping import Scope, scope_for, subtree_q
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import DocumentVersion, Project
from pathscore.org.models import User
from pathscore.process.choices import (
    OPEN_STATES,
    DelayDecision,
    NodeState,
    ReviewerRole,
    SubmissionState,
    TaskState,
    VersionStatus,
)
from pathscore.process.models import (
    DelayReason,
    HandoffTask,
    NodeDefinition,
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


# --- Hand-off tasks ------------------------------------------------------------------------


def _task_related(queryset):
    return queryset.select_related(
        "project__customer", "kind", "assignee_department", "assignee", "created_by"
    )


def _for_me_q(user) -> Q:
    """Tasks handed to ``user`` or to ``user``'s team."""
    q = Q(assignee_id=user.pk)
    if user.department_id:
        q |= Q(assignee_department_id=user.department_id)
    return q


def tasks_for_list(viewer):
    """Hand-off tasks ``viewer`` may see: their own team's first, then open before done,
    the soonest due first."""
    return (
        _task_related(HandoffTask.objects.visible_to(viewer))
        .annotate(
            for_me=Case(When(_for_me_q(viewer), then=Value(0)), default=Value(1)),
            finished=Case(
                When(state=TaskState.DONE, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("for_me", "finished", "due_date", "pk")
    )


def task_for_page(viewer):
    """The queryset a task's page looks its object up in."""
    return HandoffTask.objects.visible_to(viewer).select_related(
        "project__customer",
        "project__owner",
        "kind",
        "assignee_department",
        "assignee",
        "created_by",
        "acknowledged_by",
        "done_by",
        "rule",
    )


def tasks_for_project(project: Project, viewer):
    """A project's hand-off tasks the viewer may see: open ones first, soonest due first."""
    return (
        HandoffTask.objects.visible_to(viewer)
        .filter(project=project)
        .select_related(
            "kind", "assignee_department", "assignee", "created_by", "acknowledged_by", "done_by"
        )
        .annotate(
            finished=Case(
                When(state=TaskState.DONE, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("finished", "due_date", "pk")
    )


def team_open_tasks(user):
    """Open and acknowledged tasks of ``user``'s team (or handed to ``user``), the soonest
    due first: the technical team's home panel."""
    return (
        _task_related(HandoffTask.objects.visible_to(user))
        .open()
        .filter(_for_me_q(user))
        .order_by("due_date", "pk")
    )


def response_times(tasks, *, today: dt.date) -> list[dict]:
    """The response clock per team and per task kind, computed in the database: how many
    tasks, how many acknowledged and done, how many open and overdue, and the average and
    longest time from creation to acknowledgement and to done. One row per team, each with
    its kinds."""
    to_acknowledge = ExpressionWrapper(
        F("acknowledged_at") - F("created_at"), output_field=DurationField()
    )
    to_done = ExpressionWrapper(F("done_at") - F("created_at"), output_field=DurationField())
    not_done = ~Q(state=TaskState.DONE)
    measures = {
        "total": Count("pk"),
        "acknowledged": Count("acknowledged_at"),
        "done": Count("done_at"),
        "open": Count("pk", filter=not_done),
        "overdue": Count("pk", filter=not_done & Q(due_date__lt=today)),
        "avg_to_acknowledge": Avg(to_acknowledge),
        "avg_to_done": Avg(to_done),
        "max_to_acknowledge": Max(to_acknowledge),
        "max_to_done": Max(to_done),
    }
    base = tasks.order_by()
    by_kind = list(
        base.values(
            "assignee_department",
            "assignee_department__name",
            "kind",
            "kind__name",
            "kind__name_en",
        )
        .annotate(**measures)
        .order_by("assignee_department__name", "assignee_department", "kind__sort_order", "kind")
    )
    by_team = list(
        base.values("assignee_department", "assignee_department__name")
        .annotate(**measures)
        .order_by("assignee_department__name", "assignee_department")
    )
    english = (get_language() or "").startswith("en")
    for row in by_kind:
        row["kind_label"] = (english and row["kind__name_en"]) or row["kind__name"]
    for team in by_team:
        team["kinds"] = [
            row for row in by_kind if row["assignee_department"] == team["assignee_department"]
        ]
    return by_team


def relay_times(tasks) -> list[dict]:
    """How fast each salesperson passed customer feedback on: from when the customer gave
    it (``feedback_at``) to when the hand-off task existed, averaged in the database.

    The task's creator is the one who relayed it (automation records who entered the
    feedback); a task without a creator counts for the project's owner."""
    relay = ExpressionWrapper(F("created_at") - F("feedback_at"), output_field=DurationField())
    rows = list(
        tasks.filter(feedback_at__isnull=False)
        .order_by()
        .annotate(
            person=Coalesce("created_by_id", "project__owner_id", output_field=IntegerField())
        )
        .values("person")
        .annotate(count=Count("pk"), avg_relay=Avg(relay), max_relay=Max(relay))
        .order_by("avg_relay", "person")
    )
    people = User.objects.in_bulk([row["person"] for row in rows])
    for row in rows:
        row["person"] = people.get(row["person"])
    return rows


def published_node_codes() -> list[tuple[str, str]]:
    """(code, name) of every node in a published template version, each code once."""
    seen: dict[str, str] = {}
    rows = (
        NodeDefinition.objects.filter(version__status=VersionStatus.PUBLISHED)
        .order_by("version__template__name", "order")
        .values_list("code", "name")
    )
    for code, name in rows:
        seen.setdefault(code, name)
    return list(seen.items())


# --- Stalls --------------------------------------------------------------------------------


def stalled_projects(viewer, today: dt.date | None = None):
    """Stalled projects ``viewer`` may see, each with the threshold it passed (the node's
    own, or the 75th percentile learned from past projects): see ``process.stalls``."""
    from pathscore.process import stalls

    return stalls.stalled_projects(viewer, today)
