"""Whether someone from technical support took part in a follow-up (``FollowUp.joint``),
and its daily check and repair.

The "cross-team interactions" indicator counts a salesperson's joint follow-ups. Stored,
a team's score reads a column instead of probing the participants once per follow-up.
The flag follows the people's current roles, as the indicator always did: it is set when a
follow-up's participants are set, and recomputed for every follow-up a person took part
in when they gain or lose the technical support role (``org.services``, through the
event ``org.roles_changed``). :func:`joint_mismatches` finds rows that drifted all the
same (participants or roles written by hand) and :func:`joint_repair` sets them right;
the daily job runs it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from pathscore.core.choices import Role
from pathscore.crm import flags
from pathscore.crm.models import FollowUp
from pathscore.org.models import RoleGrant

_Participant = FollowUp.participants.through


def _with_technical_support() -> Exists:
    """A participant of the follow-up holds the technical support role."""
    return Exists(
        _Participant.objects.filter(
            followup=OuterRef("pk"),
            user__in=RoleGrant.objects.filter(role=Role.TECHNICAL_SUPPORT).values("user"),
        )
    )


def is_joint(participants: Iterable) -> bool:
    """Whether any of ``participants`` (users or ids) holds the technical support role:
    one query, none when there are none."""
    ids = [getattr(person, "pk", person) for person in participants]
    return (
        bool(ids)
        and RoleGrant.objects.filter(user_id__in=ids, role=Role.TECHNICAL_SUPPORT).exists()
    )


def rejoin_people(user_ids: Iterable[int]) -> int:
    """Recompute the flag of every follow-up these people took part in (their roles
    changed). Returns the rows changed."""
    followups = FollowUp.objects.filter(
        pk__in=_Participant.objects.filter(user_id__in=list(user_ids)).values("followup_id")
    )
    return flags.reset(followups, "joint", _with_technical_support())


def on_roles_changed(*, user_id: int, added: Iterable[str], removed: Iterable[str], **_):
    """The event handler: only a change of the technical support role moves the flags."""
    if Role.TECHNICAL_SUPPORT in {*added, *removed}:
        rejoin_people([user_id])


def joint_mismatches(*, limit: int | None = None) -> list[int]:
    """The ids of follow-ups whose stored flag differs from the recomputation, in id
    order (at most ``limit``)."""
    return flags.mismatches("joint", _with_technical_support(), limit=limit)


def joint_repair() -> dict[str, int]:
    """Set every drifted flag right. Idempotent. Returns the rows changed."""
    changed = flags.reset(FollowUp.objects.all(), "joint", _with_technical_support())
    return {"followups": changed}


def backfill_joint() -> int:
    """Mark every joint follow-up, on rows all unmarked (bulk writers: the scale generator;
    the migration adding the flag). Returns the rows marked."""
    return FollowUp.objects.filter(_with_technical_support()).update(joint=True)
