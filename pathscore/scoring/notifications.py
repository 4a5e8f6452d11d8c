"""In-app messages about appraisal periods, sent after the change commits (domain events).

* closing a period tells each person with a result that they can acknowledge it, or
  appeal until the deadline;
* an appeal goes to the person's manager and to the HR admins;
* a resolution goes to the person who appealed;
* publication tells each person their final score.

Each message is written in the recipient's language (and dates in their time zone), with
a link to the page where they act. A failing handler is logged by ``core.events`` and never
undoes the action that caused it.
"""

from __future__ import annotations

import zoneinfo

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pathscore.core.choices import Role
from pathscore.core.events import subscribe
from pathscore.notify.services import notify_inbox
from pathscore.org.models import User
from pathscore.org.selectors import manager_of
from pathscore.scoring import events
from pathscore.scoring.choices import AppealState
from pathscore.scoring.models import Appeal, Period, Result
from pathscore.scoring.services import appeal_deadline

KIND = "scoring"


def _tell(recipient, *, title, body=None, url="") -> None:
    """``title`` and ``body`` are callables, so they are translated in the recipient's
    language."""
    if recipient is None or not recipient.is_active:
        return
    with override(recipient.language or "zh-hans"):
        notify_inbox(
            recipient=recipient,
            title=str(title()),
            body=str(body()) if body else "",
            url=url,
            kind=KIND,
        )


def _local(moment, person) -> str:
    """A moment as the person reads it: in their own time zone."""
    try:
        zone = zoneinfo.ZoneInfo(person.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        zone = timezone.get_default_timezone()
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M")


def _score_url(result) -> str:
    return reverse("scoring:person-score", args=[result.period_id, result.person_id])


def _current_results(period):
    return (
        Result.objects.filter(period=period, version=period.version, person__is_active=True)
        .select_related("person")
        .order_by("pk")
    )


def _tell_closed(result, period, deadline) -> None:
    person = result.person
    _tell(
        person,
        title=lambda: (
            _("%(period)s is closed: your score is %(total)s")
            % {"period": period.name, "total": result.total}
        ),
        body=lambda: (
            _("Check it and acknowledge it, or appeal with a reason until %(deadline)s.")
            % {"deadline": _local(deadline, person)}
        ),
        url=_score_url(result),
    )


def on_period_closed(*, period_id, **_payload) -> None:
    period = Period.objects.get(pk=period_id)
    deadline = appeal_deadline(period)
    for result in _current_results(period):
        _tell_closed(result, period, deadline)


def _appeal(appeal_id) -> Appeal:
    return Appeal.objects.select_related(
        "result__period", "result__person__department", "resolved_by"
    ).get(pk=appeal_id)


def hr_admins():
    return User.objects.filter(is_active=True, role_grants__role=Role.HR_ADMIN).distinct()


def on_appeal_submitted(*, appeal_id, **_payload) -> None:
    appeal = _appeal(appeal_id)
    result = appeal.result
    person = result.person
    recipients = {}
    manager = manager_of(person)
    if manager is not None:
        recipients[manager.pk] = manager
    for admin in hr_admins():
        recipients.setdefault(admin.pk, admin)
    recipients.pop(person.pk, None)
    url = reverse("scoring:appeal-resolve", args=[appeal.pk])

    def title():
        return _("%(person)s appeals against their score for %(period)s") % {
            "person": person.name,
            "period": result.period.name,
        }

    for recipient in recipients.values():
        _tell(recipient, title=title, body=lambda: appeal.reason, url=url)


def on_appeal_resolved(*, appeal_id, actor_id=None, **_payload) -> None:
    appeal = _appeal(appeal_id)
    result = Result.objects.get(pk=appeal.result_id)
    person = appeal.result.person
    if person.pk == actor_id:
        return

    def title():
        if appeal.state == AppealState.UPHELD:
            return _("Your appeal for %(period)s was upheld") % {"period": result.period.name}
        return _("Your appeal for %(period)s was rejected") % {"period": result.period.name}

    _tell(
        person,
        title=title,
        body=lambda: (
            _("%(resolution)s — your score is now %(total)s.")
            % {"resolution": appeal.resolution, "total": result.total}
        ),
        url=_score_url(result),
    )


def _tell_published(result, period) -> None:
    _tell(
        result.person,
        title=lambda: (
            _("%(period)s is published: your final score is %(total)s")
            % {"period": period.name, "total": result.total}
        ),
        url=_score_url(result),
    )


def on_period_published(*, period_id, **_payload) -> None:
    period = Period.objects.get(pk=period_id)
    for result in _current_results(period):
        _tell_published(result, period)


def connect() -> None:
    subscribe(events.PERIOD_CLOSED, on_period_closed)
    subscribe(events.APPEAL_SUBMITTED, on_appeal_submitted)
    subscribe(events.APPEAL_RESOLVED, on_appeal_resolved)
    subscribe(events.PERIOD_PUBLISHED, on_period_published)
