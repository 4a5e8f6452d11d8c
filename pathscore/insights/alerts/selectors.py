"""Reads of the alert pages and the home panels: scoped, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.core.scoping import scope_for, subtree_q
from pathscore.crm.models import CustomerNeed, DocumentVersion
from pathscore.insights.alerts import detection
from pathscore.insights.choices import AlertKind, AlertState
from pathscore.insights.models import Alert, Intervention
from pathscore.process.models import HandoffTask, NodeInstance


def alerts(viewer) -> QuerySet:
    """The alerts ``viewer`` may see, open ones first, then the newest."""
    return (
        Alert.objects.visible_to(viewer)
        .select_related("person__department", "project")
        .annotate(
            open_first=Case(
                When(state=AlertState.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "-created_at", "-pk")
    )


def alert_for_page(viewer) -> QuerySet:
    return Alert.objects.visible_to(viewer).select_related(
        "person__department",
        "project__customer",
        "document",
        "followup",
        "node__definition",
        "resolved_by",
        "look_again_by",
    )


def interventions(viewer) -> QuerySet:
    return (
        Intervention.objects.visible_to(viewer)
        .select_related("alert__person__department", "kind", "recorded_by")
        .order_by("-done_on", "-pk")
    )


def interventions_of(alert: Alert) -> list[Intervention]:
    return list(
        alert.interventions.select_related("kind", "recorded_by").order_by("-done_on", "-pk")
    )


def _managed_q(viewer) -> Q:
    """Alerts about people in the subtrees ``viewer`` heads, never their own."""
    scope = scope_for(viewer)
    return subtree_q("person__department__path", scope.managed_paths) & ~Q(person=viewer)


def alerts_to_look_at(viewer, today: dt.date) -> QuerySet:
    """Open alerts on the viewer's people that want them now: nothing done yet, or the
    look-again date has come. Those whose date has come first, then the oldest."""
    untouched = ~Exists(Intervention.objects.filter(alert=OuterRef("pk")))
    return (
        Alert.objects.visible_to(viewer)
        .filter(_managed_q(viewer), state=AlertState.OPEN)
        .filter(Q(look_again_on__lte=today) | untouched)
        .select_related("person", "project")
        .order_by("look_again_on", "created_at", "pk")
    )


def my_open_alerts(viewer) -> QuerySet:
    return (
        Alert.objects.visible_to(viewer)
        .filter(person=viewer, state=AlertState.OPEN)
        .select_related("project")
        .order_by("-created_at", "-pk")
    )


def my_open_tasks(viewer) -> QuerySet:
    """Hand-off tasks the viewer created that are not done yet, the soonest due first."""
    return (
        HandoffTask.objects.visible_to(viewer)
        .open()
        .filter(created_by=viewer)
        .select_related("project", "kind", "assignee_department", "assignee")
        .order_by("due_date", "pk")
    )


# --- The records behind an alert ---------------------------------------------------------------


def _query(**params) -> str:
    return urlencode({key: value for key, value in params.items() if value is not None})


def drilldowns(alert: Alert) -> list[dict]:
    """Links to the dashboard's drill-down pages listing the records behind the alert."""
    detail = alert.detail or {}
    links = []
    if alert.kind == AlertKind.CONVERSION:
        links.append(
            {
                "label": _("Projects of %(person)s that reached %(node)s")
                % {"person": alert.person.name, "node": detail.get("from_name", "")},
                "url": f"{reverse('insights:projects')}?"
                + _query(
                    period="range",
                    start=detail.get("since"),
                    end=detail.get("until"),
                    set="funnel",
                    reached=detail.get("from"),
                    owner=alert.person_id,
                ),
            }
        )
    elif alert.kind == AlertKind.STALL and detail.get("node_code"):
        links.append(
            {
                "label": _("Active projects at %(node)s") % {"node": detail.get("node_name", "")},
                "url": f"{reverse('insights:projects')}?"
                + _query(set="active", node=detail["node_code"], owner=alert.person_id),
            }
        )
    elif alert.kind == AlertKind.RELAY and alert.followup_id:
        day = timezone.localdate(alert.followup.occurred_at).isoformat()
        links.append(
            {
                "label": _("Follow-ups of %(person)s that day") % {"person": alert.person.name},
                "url": f"{reverse('insights:followups')}?"
                + _query(period="range", start=day, end=day, author=alert.person_id),
            }
        )
    if alert.kind != AlertKind.CONVERSION and alert.project_id:
        links.append({"label": alert.project.name, "url": alert.project.get_absolute_url()})
    return links


def evidence(alert: Alert, viewer) -> dict:
    """The records the figure was measured on, as the viewer may see them."""
    detail = alert.detail or {}
    if alert.kind == AlertKind.CONVERSION:
        since = dt.date.fromisoformat(detail["since"])
        until = dt.date.fromisoformat(detail["until"])
        nodes = (
            detection.conversion_nodes(since, until, [(detail["from"], detail["to"])])
            .filter(doer=alert.person_id)
            .filter(pk__in=NodeInstance.objects.visible_to(viewer).values("pk"))
            .select_related("definition", "project")
            .order_by("completed_on", "pk")
        )
        return {"nodes": list(nodes)}
    if alert.kind == AlertKind.ADJUSTMENT and alert.document_id:
        versions = (
            DocumentVersion.objects.visible_to(viewer)
            .filter(document_id=alert.document_id)
            .select_related("uploaded_by")
            .order_by("-number")
        )
        return {"versions": list(versions)}
    if alert.kind == AlertKind.STALL and alert.project_id:
        nodes = (
            NodeInstance.objects.visible_to(viewer)
            .filter(project_id=alert.project_id)
            .select_related("definition")
            .order_by("order")
        )
        return {"process_nodes": list(nodes)}
    if alert.kind == AlertKind.RELAY and alert.followup_id:
        needs = CustomerNeed.objects.visible_to(viewer).filter(followup_id=alert.followup_id)
        tasks = (
            HandoffTask.objects.visible_to(viewer)
            .filter(project_id=alert.project_id, created_at__gte=alert.followup.occurred_at)
            .select_related("kind")
            .order_by("created_at")
        )
        return {"needs": list(needs.order_by("pk")), "tasks": list(tasks)}
    return {}
