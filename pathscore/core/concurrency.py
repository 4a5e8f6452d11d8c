"""Optimistic concurrency for records several people edit (customers, projects, …).

A form or an API client sends back the ``revision`` of the record it loaded. The service
claims the next revision with one conditional UPDATE before it saves: the UPDATE locks the
row until the transaction ends, so of two saves that loaded the same revision exactly one
changes a row, on SQLite and PostgreSQL alike, and the other is refused with
``StaleRevision`` naming who changed the record and when.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _


class StaleRevision(ValidationError):
    """The record changed since the caller loaded it (HTTP 409 in forms, 412 on the API).

    ``current_revision`` is the record's revision now, for a form that lets its user save
    their kept input again deliberately, or an API error that tells the client what to fetch.
    """

    def __init__(self, message: str, *, current_revision: int):
        super().__init__(message, code="conflict")
        self.current_revision = current_revision


def claim_revision(instance, *, expected: int | None = None, actor=None) -> None:
    """Take the next revision of ``instance`` for the save that follows, in its transaction.

    With ``expected`` the claim succeeds only if the row is still at that revision;
    without it (writers that did not load the record in a form) the revision simply goes up,
    so a form opened before still notices the change.
    """
    model = type(instance)
    rows = model._base_manager.filter(pk=instance.pk)
    if expected is not None:
        rows = rows.filter(revision=expected)
    claimed = rows.update(revision=F("revision") + 1)
    current = model._base_manager.values_list("revision", flat=True).get(pk=instance.pk)
    if claimed != 1:
        raise StaleRevision(_stale_message(instance, actor), current_revision=current)
    instance.revision = current


def _stale_message(instance, actor) -> str:
    """Who changed the record and when, as far as its history knows."""
    record = instance._meta.verbose_name
    last = instance.history.first() if hasattr(instance, "history") else None
    if last is None:
        return _("Someone else changed this %(record)s while you were editing.") % {
            "record": record
        }
    changed_at = timezone.localtime(last.history_date)
    when = (
        changed_at.strftime("%H:%M")
        if changed_at.date() == timezone.localdate()
        else changed_at.strftime("%Y-%m-%d %H:%M")
    )
    user = last.history_user
    if user is not None and actor is not None and user.pk == actor.pk:
        return _("You changed this %(record)s at %(time)s in another window.") % {
            "record": record,
            "time": when,
        }
    if user is None:
        return _("Someone else changed this %(record)s at %(time)s while you were editing.") % {
            "record": record,
            "time": when,
        }
    return _("%(name)s changed this %(record)s at %(time)s while you were editing.") % {
        "name": getattr(user, "name", "") or user.get_username(),
        "record": record,
        "time": when,
    }
