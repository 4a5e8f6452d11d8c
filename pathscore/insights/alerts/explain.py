"""Alerts in words: what an alert is about and what was measured against which threshold.

Translated at call time, so a page shows the viewer's language and a notification the
recipient's (the caller activates it).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.insights.choices import AlertKind
from pathscore.insights.models import Alert


def _project_name(alert: Alert) -> str:
    return alert.project.name if alert.project_id else "—"


def _local_date(iso: str | None) -> str:
    if not iso:
        return "—"
    value = dt.datetime.fromisoformat(iso)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value:%Y-%m-%d}"


def summary(alert: Alert) -> str:
    """One line naming the alert's subject (the project, node, document or stages)."""
    detail = alert.detail or {}
    if alert.kind == AlertKind.CONVERSION:
        return _("Conversion %(from)s → %(to)s") % {
            "from": detail.get("from_name", "?"),
            "to": detail.get("to_name", "?"),
        }
    if alert.kind == AlertKind.ADJUSTMENT:
        return _("%(project)s: proposal %(title)s V%(version)s awaits its adjustment") % {
            "project": _project_name(alert),
            "title": detail.get("title", ""),
            "version": detail.get("version", "?"),
        }
    if alert.kind == AlertKind.STALL:
        return _("%(project)s stalled at %(node)s") % {
            "project": _project_name(alert),
            "node": detail.get("node_name", "?"),
        }
    return _("%(project)s: customer needs from the follow-up of %(day)s not relayed") % {
        "project": _project_name(alert),
        "day": _local_date(detail.get("occurred_at")),
    }


def measure(alert: Alert) -> str:
    """What was measured against the threshold, in one sentence."""
    detail = alert.detail or {}
    values = {"measured": alert.measured, "threshold": alert.threshold}
    if alert.kind == AlertKind.CONVERSION:
        return _(
            "%(measured)s%% of %(projects)s projects went on from %(from)s to %(to)s "
            "between %(since)s and %(until)s; the team's rate is %(team)s%%, and the alert "
            "threshold is %(threshold)s%% (%(share)s%% of the team's)."
        ) % {
            **values,
            "projects": detail.get("projects", "?"),
            "from": detail.get("from_name", "?"),
            "to": detail.get("to_name", "?"),
            "since": detail.get("since", "?"),
            "until": detail.get("until", "?"),
            "team": detail.get("team_rate", "?"),
            "share": detail.get("share", "?"),
        }
    if alert.kind == AlertKind.ADJUSTMENT:
        return _(
            "%(measured)s days since the customer's feedback of %(day)s without a new "
            "version; the threshold is %(threshold)s days."
        ) % {**values, "day": detail.get("feedback_on", "?")}
    if alert.kind == AlertKind.STALL:
        return _(
            "%(measured)s days at the node since %(day)s; the threshold is %(threshold)s days."
        ) % {**values, "day": detail.get("since", "?")}
    return (
        _(
            "%(measured)s hours since the follow-up without a hand-off task to the technical "
            "team; the threshold is %(threshold)s hours."
        )
        % values
    )
