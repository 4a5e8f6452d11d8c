"""Which roles change the evaluation's records, as write rules shared by the pages, the
API and the services (registered with ``core.permissions`` from ``ScoringConfig.ready``).

Results and appeals have no role rule: the person assessed acknowledges and appeals, their
manager or HR adjusts and resolves, and only the service knows whose result it is.
"""

from __future__ import annotations

from pathscore.core.choices import Role
from pathscore.core.permissions import register_write_rule
from pathscore.core.scoping import Scope


def is_hr(scope: Scope) -> bool:
    return scope.has_role(Role.HR_ADMIN)


def manager_or_hr(scope: Scope) -> bool:
    return scope.has_role(Role.HR_ADMIN) or scope.is_manager


def rates_quality(scope: Scope) -> bool:
    return (
        bool(scope.roles & {Role.TECHNICAL_SUPPORT, Role.SALES_MANAGER, Role.HR_ADMIN})
        or scope.is_manager
    )


def register() -> None:
    for label in ("scoring.scorecard", "scoring.trainingcourse", "scoring.period"):
        register_write_rule(label, is_hr)
    for label in ("scoring.customerrating", "scoring.commendation", "scoring.trainingsession"):
        register_write_rule(label, manager_or_hr)
    register_write_rule("scoring.qualityrating", rates_quality)
