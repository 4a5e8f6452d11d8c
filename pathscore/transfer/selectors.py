"""Reads of the import."""

from __future__ import annotations

from pathscore.transfer.models import ImportBatch


def batches_for(viewer):
    """The imports the viewer may see (their own; a system admin's: all), newest first."""
    return ImportBatch.objects.visible_to(viewer).select_related("created_by")


def recent_batches_for(viewer, *, limit: int = 20):
    return batches_for(viewer).order_by("-created_at", "-id")[:limit]
