"""In-app messages about alerts, sent after the change commits (domain events).

* an alert that opens goes to the salesperson's manager;
* a look-again date that has come goes to the manager who set it.

Each message is written in the recipient's language. A failing handler is logged by
``core.events`` and never undoes the detection that caused it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import override

from pathscore.core.events import subscribe
from pathscore.insights import events
from pathscore.insights.alerts import explain
from pathscore.insights.models import Alert
from pathscore.notify.services import notify_inbox
from pathscore.org.selectors import manager_of

KIND = "alert"


def _alert(alert_id) -> Alert:
    return Alert.objects.select_related("person__department", "project", "look_again_by").get(
        pk=alert_id
    )


def _tell(recipient, alert: Alert, title) -> None:
    if recipient is None or not recipient.is_active:
        return
    with override(recipient.language or "zh-hans"):
        notify_inbox(
            recipient=recipient,
            title=str(title()),
            body=f"{explain.summary(alert)} · {explain.measure(alert)}",
            url=alert.get_absolute_url(),
            kind=KIND,
        )


def on_alert_opened(*, alert_id, **_payload) -> None:
    alert = _alert(alert_id)
    _tell(
        manager_of(alert.person),
        alert,
        lambda: (
            _("Alert on %(person)s: %(kind)s")
            % {"person": alert.person.name, "kind": alert.get_kind_display()}
        ),
    )


def on_look_again_due(*, alert_id, **_payload) -> None:
    alert = _alert(alert_id)
    _tell(
        alert.look_again_by or manager_of(alert.person),
        alert,
        lambda: (
            _("Time to look again: %(kind)s of %(person)s")
            % {"person": alert.person.name, "kind": alert.get_kind_display()}
        ),
    )


def connect() -> None:
    subscribe(events.ALERT_OPENED, on_alert_opened)
    subscribe(events.LOOK_AGAIN_DUE, on_look_again_due)
