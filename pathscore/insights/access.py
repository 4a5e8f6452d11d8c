"""Who may open the team dashboard.

Managers see their department subtree, HR admins and executives the company. A
salesperson's view of the process is their own home and score (PRODUCT.md §4), so the
dashboard sends them there; anyone else is refused.
"""

from pathscore.core.choices import Role
from pathscore.core.scoping import Scope

#: Roles for whom the dashboard is meant (the menu shows it to them only).
DASHBOARD_ROLES = frozenset({Role.SALES_MANAGER, Role.HR_ADMIN, Role.EXECUTIVE})


def may_see_dashboard(scope: Scope) -> bool:
    return scope.sees_all_records or scope.is_manager or scope.has_role(Role.SALES_MANAGER)


def is_salesperson_only(scope: Scope) -> bool:
    """A salesperson with no manager, HR or executive duties."""
    return scope.has_role(Role.SALESPERSON) and not may_see_dashboard(scope)
