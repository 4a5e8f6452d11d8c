"""The stored joint flag (crm.joint): every writer keeps it equal to the recomputation
from the participants and their roles, and the daily check finds and repairs drift."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pathscore.core.choices import Role
from pathscore.crm import joint, services, tasks
from pathscore.crm.models import FollowUp
from pathscore.org import services as org_services
from pathscore.org.models import RoleGrant
from tests.crm import factories

pytestmark = pytest.mark.django_db


def recomputed() -> dict[int, bool]:
    """Every follow-up's flag from the raw rows: any participant holds the technical
    support role today."""
    technical = set(
        RoleGrant.objects.filter(role=Role.TECHNICAL_SUPPORT).values_list("user_id", flat=True)
    )
    flags = dict.fromkeys(FollowUp.objects.values_list("pk", flat=True), False)
    for followup_id, user_id in FollowUp.participants.through.objects.values_list(
        "followup_id", "user_id"
    ):
        flags[followup_id] = flags[followup_id] or user_id in technical
    return flags


def stored() -> dict[int, bool]:
    return dict(FollowUp.objects.values_list("pk", "joint"))


def assert_exact():
    assert stored() == recomputed()
    assert joint.joint_mismatches() == []


def test_recording_and_correcting_participants_keep_the_flag(personas):
    project = factories.project(personas.sales_a)
    alone = factories.followup(personas.sales_a, project, days_ago=5)
    with_tech = factories.followup(
        personas.sales_a, project, days_ago=4, participants=[personas.tech]
    )
    with_colleague = factories.followup(
        personas.sales_a, project, days_ago=3, participants=[personas.sales_b]
    )
    assert (alone.joint, with_tech.joint, with_colleague.joint) == (False, True, False)
    assert_exact()
    services.followup_update(
        followup=with_colleague,
        actor=personas.sales_a,
        participants=[personas.sales_b, personas.tech],
    )
    services.followup_update(followup=with_tech, actor=personas.sales_a, participants=[])
    assert_exact()
    assert stored()[with_colleague.pk] and not stored()[with_tech.pk]
    # A correction that leaves the participants alone keeps the flag.
    services.followup_update(
        followup=FollowUp.objects.get(pk=with_colleague.pk),
        actor=personas.sales_a,
        content="补充记录：技术方案已确认。",
    )
    assert stored()[with_colleague.pk]


def test_a_role_change_moves_the_flags_of_everything_the_person_joined(personas):
    project = factories.project(personas.sales_a)
    joined = [
        factories.followup(personas.sales_a, project, days_ago=days, participants=[who])
        for days, who in ((6, personas.sales_b), (5, personas.sales_b), (4, personas.tech))
    ]
    assert [stored()[f.pk] for f in joined] == [False, False, True]
    org_services.user_update(
        user=personas.sales_b,
        actor=personas.sysadmin,
        roles=[*personas.sales_b.role_codes, Role.TECHNICAL_SUPPORT],
    )
    assert [stored()[f.pk] for f in joined] == [True, True, True]
    org_services.user_update(
        user=personas.tech, actor=personas.sysadmin, roles=[Role.SALES_MANAGER]
    )
    assert [stored()[f.pk] for f in joined] == [True, True, False]
    assert_exact()
    # Another role changing moves nothing (and asks nothing of the follow-ups).
    org_services.user_update(
        user=personas.sales_b,
        actor=personas.sysadmin,
        roles=[Role.SALESPERSON, Role.TECHNICAL_SUPPORT, Role.SALES_MANAGER],
    )
    assert_exact()


def test_a_bulk_import_takes_no_participants_so_nothing_is_joint(personas):
    project = factories.project(personas.sales_a)
    services.followup_create_many(
        entries=[
            {
                "actor": personas.sales_a,
                "project": project,
                "occurred_at": timezone.now(),
                "mode": factories.option("followup_mode", "visit"),
                "content": "导入的历史记录。",
            }
        ],
        recorded_by=personas.sales_a,
    )
    assert set(stored().values()) == {False}
    assert_exact()


def test_drift_is_found_and_repaired_once(personas):
    project = factories.project(personas.sales_a)
    with_tech = factories.followup(
        personas.sales_a, project, days_ago=4, participants=[personas.tech]
    )
    alone = factories.followup(personas.sales_a, project, days_ago=3)
    # Written by hand, past the services: a participant added, a flag cleared.
    alone.participants.add(personas.tech)
    FollowUp.objects.filter(pk=with_tech.pk).update(joint=False)
    assert joint.joint_mismatches() == sorted([with_tech.pk, alone.pk])
    assert tasks.followup_chain_repair.call_local() == {"followups": 0, "joint": 2, "active": 0}
    assert_exact()
    assert joint.joint_repair() == {"followups": 0}


def test_the_bulk_backfill_equals_the_recomputation(personas):
    project = factories.project(personas.sales_a)
    for days, who in ((5, [personas.tech]), (4, []), (3, [personas.sales_b, personas.tech])):
        factories.followup(personas.sales_a, project, days_ago=days, participants=who)
    FollowUp.objects.update(joint=False)
    assert joint.backfill_joint() == 2
    assert_exact()
