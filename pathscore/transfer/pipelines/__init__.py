"""The import pipelines, one module per kind of record, registered by entity."""

from __future__ import annotations

from pathscore.transfer.pipelines.base import Pipeline
from pathscore.transfer.pipelines.contacts import ContactPipeline
from pathscore.transfer.pipelines.customers import CustomerPipeline
from pathscore.transfer.pipelines.departments import DepartmentPipeline
from pathscore.transfer.pipelines.followups import FollowUpPipeline
from pathscore.transfer.pipelines.projects import ProjectPipeline
from pathscore.transfer.pipelines.users import UserPipeline

PIPELINE_CLASSES: dict[str, type[Pipeline]] = {
    pipeline.entity: pipeline
    for pipeline in (
        CustomerPipeline,
        ContactPipeline,
        ProjectPipeline,
        FollowUpPipeline,
        DepartmentPipeline,
        UserPipeline,
    )
}
#: One instance of each, for what does not change: labels, columns, permissions.
PIPELINES: dict[str, Pipeline] = {entity: cls() for entity, cls in PIPELINE_CLASSES.items()}


def get_pipeline(entity: str) -> Pipeline:
    """A fresh pipeline for one run: ``prepare`` keeps the run's lookups on it, and two jobs
    may run at once in one worker."""
    return PIPELINE_CLASSES[entity]()


def pipelines_for(scope) -> list[Pipeline]:
    """The pipelines a user may run, in menu order."""
    return [p for p in PIPELINES.values() if p.allowed(scope)]


def sheet_labels(*, exclude: str = "") -> dict[str, str]:
    """Every pipeline's sheet names (Chinese and English, case-folded) → its label."""
    labels = {}
    for entity, pipeline in PIPELINES.items():
        if entity != exclude:
            labels[pipeline.sheet.casefold()] = pipeline.label
            labels[pipeline.sheet_en.casefold()] = pipeline.label
    return labels
