"""Home panels of the insights (registered in ``navigation.py``).

For a manager: the alerts that want them today. For a salesperson, beside the process's
"my nodes" and the records' "my next actions": the hand-off tasks they asked for that are
still open, their own open alerts, and their score so far against the team (a radar).
"""

from __future__ import annotations

from django.utils import timezone

#: Rows a panel lists; the total and a link lead to the rest.
PANEL_ROWS = 5


def _first_rows_and_total(queryset, limit: int = PANEL_ROWS):
    from pathscore.process.selectors import first_rows_and_total

    return first_rows_and_total(queryset, limit)


def alerts_to_look_at(*, request, scope=None):
    """Open alerts on the manager's people with nothing done yet or whose look-again date
    has come."""
    from pathscore.insights.alerts import explain, selectors

    today = timezone.localdate()
    alerts, total = _first_rows_and_total(selectors.alerts_to_look_at(request.user, today))
    for alert in alerts:
        alert.summary = explain.summary(alert)
        alert.look_again_due = alert.look_again_on is not None and alert.look_again_on <= today
    return {"alerts": alerts, "total": total}


def my_handoffs(*, request, scope=None):
    """Hand-off tasks the salesperson created that the other team has not finished."""
    from pathscore.insights.alerts import selectors
    from pathscore.process.tables import task_is_overdue

    today = timezone.localdate()
    tasks, total = _first_rows_and_total(selectors.my_open_tasks(request.user))
    for task in tasks:
        task.is_overdue = task_is_overdue(task, today)
    return {"tasks": tasks, "total": total, "overdue": any(t.is_overdue for t in tasks)}


def my_alerts(*, request, scope=None):
    """The salesperson's own open alerts; no panel when there are none."""
    from pathscore.insights.alerts import explain, selectors

    alerts, total = _first_rows_and_total(selectors.my_open_alerts(request.user))
    if not total:
        return None
    for alert in alerts:
        alert.summary = explain.summary(alert)
    return {"alerts": alerts, "total": total}


def my_score(*, request, scope=None):
    """The salesperson's score in the current period with the radar of their dimensions
    against the team's averages: the score page's own data (one engine call)."""
    from pathscore.scoring.views.scores import current_period, person_score

    period = current_period()
    if period is None:
        return {"period": None, "score": None}
    return {"period": period, "score": person_score(period, request.user, request.user)}
