"""The demo company's alerts: the detection job run once over the demo's history, and
one manager's intervention on the oldest stalled project, so the alert pages and the
managers' home panels show something real from the first sign-in."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pathscore.core.models import Option
from pathscore.insights import services
from pathscore.insights.alerts import detection
from pathscore.insights.choices import AlertKind
from pathscore.insights.models import Alert
from pathscore.insights.options import INTERVENTION_KIND
from pathscore.org.selectors import manager_of


def load(ctx) -> None:
    services.alerts_detect(today=ctx.today, now=timezone.now())
    alert = (
        Alert.objects.filter(kind=AlertKind.STALL)
        .select_related("person__department")
        .order_by("-measured", "pk")
        .first()
    )
    manager = manager_of(alert.person) if alert else None
    if manager is None:
        return
    services.intervention_record(
        alert=alert,
        actor=manager,
        kind=Option.objects.get(kind=INTERVENTION_KIND, code="called-customer"),
        note="已致电客户了解进度，客户内部评审推迟，约定下周再沟通。",
        done_on=ctx.today,
        look_again_on=ctx.today + dt.timedelta(days=3),
    )


def after_seed(*, today: dt.date, now: dt.datetime) -> None:
    """After a generated company (``pathscore seed --scale``) is loaded: the alerts the
    detection job's first run would open, written in one go. The job opens them one by
    one, each with a message to the manager; over a generated history that is thousands
    of alerts, minutes of work at scale L and an inbox of messages about the past."""
    found = {finding.key: finding for finding in detection.findings(today=today, now=now)}
    Alert.objects.bulk_create(
        [services.alert_for(finding=finding, now=now) for finding in found.values()],
        batch_size=1000,
    )
    Alert.objects.filter(detected_at=now).update(created_at=now, updated_at=now)
