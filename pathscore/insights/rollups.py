"""Upkeep of the rollups (``insights.models.rollups``): derived counts kept exact.

``ActiveProjectCount`` holds, per owner, the active projects by current node, customer
type and category. Every write that can move a project from one key to another publishes
a domain event (a project created, its status, owner, category or customer changed, its
customer's type changed, its current node moved, a template migration); the handlers
here run inside the publishing transaction and recompute the rows of the owners
concerned from the raw rows, so the rollup commits or rolls back with the write itself.
Recomputing an owner is two statements (delete the owner's rows, insert the grouped
count), whatever changed: there is no delta arithmetic to get wrong. Bulk loads (the
scale generator, the demo) rebuild everything at the end in one INSERT … SELECT, and a
nightly job does the same, repairing any drift left by a write outside the services.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.signals import post_delete

from pathscore.core.events import subscribe_in_transaction
from pathscore.crm import events as crm_events
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import Project
from pathscore.insights.models import ActiveProjectCount
from pathscore.process import events as process_events

#: The rollup's columns, in the order of the grouped query's SELECT list.
_COLUMNS = ("owner_id", "definition_id", "node_order", "customer_type_id", "category_id", "count")


def counted_rows(owner_ids: Iterable[int] | None = None):
    """The rollup recomputed from the raw rows: active projects grouped by owner, current
    node (definition and place), customer type and category. ``owner_ids`` narrows it to
    those owners; None counts everyone. A project with no process or a completed one has
    no current node (the LEFT JOINs keep it, with NULLs)."""
    rows = Project.objects.filter(status=ProjectStatus.ACTIVE)
    if owner_ids is not None:
        rows = rows.filter(owner__in=list(owner_ids))
    return (
        rows.order_by()
        .values(
            "owner",
            "process__current_node__definition",
            "process__current_node__order",
            "customer__customer_type",
            "category",
        )
        .annotate(n=Count("pk"))
    )


def _insert_counted(owner_ids: list[int] | None) -> None:
    """INSERT … SELECT of the grouped query: the rows never travel through Python."""
    sql, params = counted_rows(owner_ids).query.sql_with_params()
    table = connection.ops.quote_name(ActiveProjectCount._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _COLUMNS)
    with connection.cursor() as cursor:
        # ``sql`` is the ORM's own compiled query; every value in it travels as a parameter.
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)  # noqa: S608  # nosec B608


def rollup_refresh_owners(owner_ids: Iterable[int]) -> None:
    """Recompute the rollup rows of these owners from the raw rows (two statements)."""
    owner_ids = sorted({owner_id for owner_id in owner_ids if owner_id is not None})
    if not owner_ids:
        return
    with transaction.atomic():
        ActiveProjectCount.objects.filter(owner__in=owner_ids).delete()
        _insert_counted(owner_ids)


def rollup_rebuild() -> int:
    """Recompute every rollup row from the raw rows; idempotent. Returns the row count."""
    with transaction.atomic():
        ActiveProjectCount.objects.all().delete()
        _insert_counted(None)
        return ActiveProjectCount.objects.count()


# --- Keeping it exact: handlers of the writes that move projects between keys ---------------


def _owners_of_projects(project_ids: Iterable[int]) -> list[int]:
    return list(
        Project.objects.filter(pk__in=list(project_ids))
        .order_by()
        .values_list("owner_id", flat=True)
        .distinct()
    )


def on_project_changed(*, project_id: int, **_payload) -> None:
    """Created, status changed, category or customer changed, current node moved."""
    rollup_refresh_owners(_owners_of_projects([project_id]))


def on_project_handed_over(*, from_owner_id: int, to_owner_id: int, **_payload) -> None:
    rollup_refresh_owners([from_owner_id, to_owner_id])


def on_customer_changed(*, customer_id: int, **_payload) -> None:
    """A customer's type moves all its active projects: every owner of one is recomputed."""
    owners = (
        Project.objects.filter(customer_id=customer_id, status=ProjectStatus.ACTIVE)
        .order_by()
        .values_list("owner_id", flat=True)
        .distinct()
    )
    rollup_refresh_owners(list(owners))


def on_project_deleted(sender, instance, **_kwargs) -> None:
    # Deletion has no service (the admin, a cascade): the model signal covers every path.
    if instance.status == ProjectStatus.ACTIVE:
        rollup_refresh_owners([instance.owner_id])


def connect() -> None:
    for event in (
        crm_events.PROJECT_CREATED,
        crm_events.PROJECT_STATUS_CHANGED,
        crm_events.PROJECT_CHANGED,
        process_events.CURRENT_NODE_CHANGED,
    ):
        subscribe_in_transaction(event, on_project_changed)
    subscribe_in_transaction(crm_events.PROJECT_HANDED_OVER, on_project_handed_over)
    subscribe_in_transaction(crm_events.CUSTOMER_CHANGED, on_customer_changed)
    post_delete.connect(on_project_deleted, sender=Project, dispatch_uid="insights.rollups")
