"""Readable change history for any model with django-simple-history.

Turns history rows into "who, when, field, old → new" entries with field labels and
related objects shown by name, for the History tab every record page has.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from django.db import models
from django.db.models.signals import post_save
from simple_history.models import HistoricalRecords


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime
    who: object
    kind: str  # "+", "~" or "-"
    changes: list[Change] = field(default_factory=list)
    reason: str = ""


def _m2m_pks(model_field, rows) -> list:
    """The related objects' keys in a many-to-many change (rows of the through table)."""
    key = model_field.m2m_reverse_field_name()
    return [row[key] for row in rows or () if row.get(key) is not None]


def _display(model_field, value, related_names) -> str:
    if isinstance(model_field, models.ManyToManyField):
        names = [
            related_names.get((model_field.related_model, pk), f"#{pk}")
            for pk in _m2m_pks(model_field, value)
        ]
        return "、".join(sorted(names)) or "—"
    if value is None or value == "":
        return "—"
    if isinstance(model_field, models.ForeignKey):
        return related_names.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def history_entries(instance, *, limit: int = 50) -> list[HistoryEntry]:
    """The newest ``limit`` changes of ``instance``, oldest field values resolved to names."""
    records = list(
        instance.history.select_related("history_user").order_by("-history_date")[: limit + 1]
    )
    model = type(instance)
    deltas = []
    wanted: dict[type, set] = {}
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        delta = record.diff_against(previous).changes if previous is not None else []
        deltas.append((record, delta))
        for change in delta:
            model_field = model._meta.get_field(change.field)
            if isinstance(model_field, models.ForeignKey):
                bucket = wanted.setdefault(model_field.related_model, set())
                bucket.update(v for v in (change.old, change.new) if v is not None)
            elif isinstance(model_field, models.ManyToManyField):
                bucket = wanted.setdefault(model_field.related_model, set())
                bucket.update(_m2m_pks(model_field, change.old))
                bucket.update(_m2m_pks(model_field, change.new))
    related_names = {}
    for related_model, pks in wanted.items():
        for obj in related_model._default_manager.filter(pk__in=pks):
            related_names[(related_model, obj.pk)] = str(obj)
    entries = []
    for record, delta in deltas:
        changes = []
        for change in delta:
            model_field = model._meta.get_field(change.field)
            changes.append(
                Change(
                    label=str(model_field.verbose_name),
                    old=_display(model_field, change.old, related_names),
                    new=_display(model_field, change.new, related_names),
                )
            )
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=record.history_user,
                kind=record.history_type,
                changes=changes,
                reason=record.history_change_reason or "",
            )
        )
    return entries


@contextmanager
def acting_as(user) -> Iterator[None]:
    """Credit every history row written inside the block to ``user``.

    django-simple-history takes the author from the current request, which a background
    job, an import or a management command does not have; without this their changes
    would be recorded as made by nobody. An enclosing request (if any) is restored after.
    """
    context = HistoricalRecords.context
    missing = object()
    previous = getattr(context, "request", missing)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is missing:
            del context.request
        else:
            context.request = previous


class HistoricalRecordsWithM2M(HistoricalRecords):
    """Field history that also keeps many-to-many fields (``m2m_fields=[...]``), without
    reading their rows for a record just created.

    A row inserted by ``save()`` cannot have many-to-many rows yet: they are added after
    it, and each addition writes a history row of its own that lists them. So the
    creation's history row has none, and reading each through table for it (and, with
    excluded fields, re-reading the record) costs two queries per field for nothing on
    every create.
    """

    def create_historical_record_m2ms(self, history_instance, instance):
        if history_instance.history_type == "+":
            return
        super().create_historical_record_m2ms(history_instance, instance)


def record_change(instance) -> None:
    """Leave the one history row of a change written by a conditional UPDATE.

    Claims ("approve this node if it is still submitted") change rows with
    ``queryset.update()`` so that exactly one of two racing requests wins; an UPDATE
    bypasses ``save()`` and so the history. The winner calls this once, after its last
    write to the row: the row is re-read and announced as saved, which writes one history
    row (with many-to-many fields) credited like any other save: to the request's user,
    ``acting_as(...)``, or nobody ("system").
    """
    instance.refresh_from_db()
    post_save.send(
        sender=type(instance),
        instance=instance,
        created=False,
        update_fields=None,
        raw=False,
        using=instance._state.db,
    )


def acting_user():
    """The user history rows written now are credited to: the request's user, the one
    named by ``acting_as(...)``, or None (the system).

    Bulk creations (``bulk_create_with_history``) do not look this up themselves; services
    pass it as ``default_user`` so their rows are credited like a ``save()``'s.
    """
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def start_history(apps, schema_editor, *labels: str) -> None:
    """Give every existing row of newly historised models a first history row.

    Used by the data migrations that add a history: without it a record's first change
    would have nothing to be compared with, and the History tab would show no "before".
    The rows are credited to nobody (the system) and dated when the migration ran.
    """
    from django.utils import timezone

    db = schema_editor.connection.alias
    now = timezone.now()
    for label in labels:
        app_label, name = label.split(".")
        model = apps.get_model(app_label, name)
        historical = apps.get_model(app_label, f"Historical{name}")
        names = [
            f.attname for f in historical._meta.concrete_fields if not f.name.startswith("history_")
        ]
        rows = model.objects.using(db).order_by("pk").values(*names).iterator(chunk_size=2000)
        batch = []
        for row in rows:
            batch.append(
                historical(
                    **row,
                    history_date=now,
                    history_type="+",
                )
            )
            if len(batch) == 2000:
                historical.objects.using(db).bulk_create(batch)
                batch = []
        historical.objects.using(db).bulk_create(batch)
