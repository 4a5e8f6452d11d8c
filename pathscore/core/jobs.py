"""Helpers for idempotent jobs.

A job that must act once claims its row with a conditional UPDATE and proceeds only if
exactly one row changed. This works the same on SQLite, where ``select_for_update`` does
nothing, and on PostgreSQL with many workers.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet


def claim(queryset: QuerySet, pk, *, where: dict, values: dict) -> bool:
    """Set ``values`` on row ``pk`` only if it still matches ``where``; True if we won."""
    return queryset.filter(pk=pk, **where).update(**values) == 1


def claim_instance(instance: Model, *, where: dict, values: dict) -> bool:
    won = claim(type(instance)._default_manager.all(), instance.pk, where=where, values=values)
    if won:
        for name, value in values.items():
            setattr(instance, name, value)
    return won
