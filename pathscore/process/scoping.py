"""Visibility the process engine adds to the records: technical support see the projects
(and so the customers, documents and follow-ups) behind the hand-off tasks of their team."""

from django.db.models import Q

from pathscore.core.choices import Role
from pathscore.core.scoping import Scope, register_scope_extension


def projects_behind_tasks(scope: Scope):
    if not scope.has_role(Role.TECHNICAL_SUPPORT):
        return None
    from pathscore.process.models import HandoffTask

    mine = Q(assignee_id=scope.user_id)
    if scope.team_path:
        mine |= Q(assignee_department__path=scope.team_path)
    return Q(pk__in=HandoffTask.objects.filter(mine).values("project_id"))


def connect() -> None:
    register_scope_extension("crm.project", projects_behind_tasks)
