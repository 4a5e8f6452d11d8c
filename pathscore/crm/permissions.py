"""Which roles change the records: the rules the pages, the API and the services share
(registered with ``core.permissions`` from ``CrmConfig.ready``)."""

from __future__ import annotations

from pathscore.core.choices import Role
from pathscore.core.permissions import register_write_rule
from pathscore.core.scoping import Scope

#: Roles that create and change customers, contacts and projects. Executives and the
#: technical team read them; auditors and system admins do not see them at all.
RECORD_WRITER_ROLES = frozenset({Role.SALESPERSON, Role.SALES_MANAGER, Role.HR_ADMIN})


def can_write_records(scope: Scope) -> bool:
    return bool(scope.roles & RECORD_WRITER_ROLES) or scope.is_manager


def can_write_documents(scope: Scope) -> bool:
    """Whoever writes records, and the technical team, who design and revise proposals."""
    return can_write_records(scope) or scope.has_role(Role.TECHNICAL_SUPPORT)


def can_record_followups(scope: Scope) -> bool:
    """Sales staff (and HR) record follow-ups, and so does the technical team, who join
    visits and technical exchanges (and take up the needs they raise); executives and
    auditors only read."""
    return can_write_records(scope) or scope.has_role(Role.TECHNICAL_SUPPORT)


def can_assign_owner(scope: Scope) -> bool:
    """Managers (for the people they manage) and HR name a record's owner; a salesperson's
    records are always their own."""
    return scope.is_manager or scope.has_role(Role.HR_ADMIN)


def can_hand_over(scope: Scope) -> bool:
    return scope.is_manager or scope.has_role(Role.HR_ADMIN)


def register() -> None:
    for label in ("crm.customer", "crm.contact", "crm.project"):
        register_write_rule(label, can_write_records)
    for label in ("crm.contractterm", "crm.contractmilestone"):
        register_write_rule(label, can_write_records)
    for label in ("crm.document", "crm.documentversion"):
        register_write_rule(label, can_write_documents)
    for label in ("crm.followup", "crm.customerneed"):
        register_write_rule(label, can_record_followups)
