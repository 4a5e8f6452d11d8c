"""Whether a follow-up's project is active (``FollowUp.project_active``), and its daily
check and repair.

The follow-up cycle — the indicator and the dashboard's chart — averages the gaps between
follow-ups on active projects. Stored on the follow-up, that condition sits in the author
index next to the follow-up's time and its previous one's, so the company's cycle is read
from the index alone instead of looking up the project of each of a quarter's hundreds of
thousands of follow-ups.

The follow-up services set it from the project they are given; :func:`reflag_project`
follows a project's status change (``project_set_status``) in one UPDATE.
:func:`active_mismatches` finds rows that drifted all the same (a status written by hand)
and :func:`active_repair` sets them right; the daily job runs it.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from pathscore.crm import flags
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import FollowUp, Project


def is_active(project: Project | None) -> bool:
    """The flag of a follow-up on ``project`` (none: a customer-only follow-up)."""
    return project is not None and project.status == ProjectStatus.ACTIVE


def reflag_project(project: Project) -> int:
    """Set the flag of every follow-up on ``project`` from its status. Returns the rows
    changed."""
    active = is_active(project)
    return (
        FollowUp.objects.filter(project=project)
        .exclude(project_active=active)
        .update(project_active=active)
    )


def _on_active_project() -> Exists:
    return Exists(Project.objects.filter(pk=OuterRef("project_id"), status=ProjectStatus.ACTIVE))


def active_mismatches(*, limit: int | None = None) -> list[int]:
    """The ids of follow-ups whose stored flag differs from their project's status, in id
    order (at most ``limit``)."""
    return flags.mismatches("project_active", _on_active_project(), limit=limit)


def active_repair() -> dict[str, int]:
    """Set every drifted flag right. Idempotent. Returns the rows changed."""
    return {
        "followups": flags.reset(FollowUp.objects.all(), "project_active", _on_active_project())
    }


def backfill_active() -> int:
    """Mark every follow-up on an active project, on rows all unmarked (bulk writers: the
    scale generator; the migration adding the flag). Returns the rows marked."""
    return FollowUp.objects.filter(_on_active_project()).update(project_active=True)
