"""Stored yes/no facts of a follow-up that mirror other rows (``joint``: crm.joint;
``project_active``: crm.active): how to find and how to reset the rows that differ from
the condition they mirror, writing only those."""

from __future__ import annotations

from django.db.models import Exists, Q

from pathscore.crm.models import FollowUp


def _drifted(field: str, expected: Exists) -> Q:
    """Rows whose ``field`` differs from ``expected``."""
    return Q(**{field: True}) & ~expected | Q(**{field: False}) & expected


def reset(followups, field: str, expected: Exists) -> int:
    """Set ``field`` of ``followups`` (a queryset) to ``expected``, in two UPDATEs that
    write only the rows that change. Returns the rows changed."""
    marked = followups.filter(**{field: False}).filter(expected).update(**{field: True})
    return marked + followups.filter(**{field: True}).exclude(expected).update(**{field: False})


def mismatches(field: str, expected: Exists, *, limit: int | None = None) -> list[int]:
    """The ids of follow-ups whose ``field`` differs from ``expected``, in id order (at
    most ``limit``)."""
    ids = (
        FollowUp.objects.filter(_drifted(field, expected))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(ids if limit is None else ids[:limit])
