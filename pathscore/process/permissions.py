"""Which roles take part in the process, as write rules shared by the pages, the API and
the services (registered with ``core.permissions`` from ``ProcessConfig.ready``).

These say who may act on a kind of record at all; who may act on one node or task (its
owner submits, a reviewer of its role approves, the assigned team completes) is decided
by the services that know it.
"""

from __future__ import annotations

from pathscore.core.choices import Role
from pathscore.core.permissions import register_write_rule
from pathscore.core.scoping import Scope
from pathscore.crm.permissions import can_write_records


def takes_part_in_process(scope: Scope) -> bool:
    """Sales staff, their managers and HR (who review some nodes), and the technical team
    (who review proposals and answer hand-off tasks); executives, auditors and system
    admins only read."""
    return can_write_records(scope) or scope.has_role(Role.TECHNICAL_SUPPORT)


def manages_process_settings(scope: Scope) -> bool:
    return scope.manages_org


def register() -> None:
    for label in ("process.nodeinstance", "process.delayreason", "process.handofftask"):
        register_write_rule(label, takes_part_in_process)
    for label in ("process.automationrule", "process.delaycategory"):
        register_write_rule(label, manages_process_settings)
