"""The demo company's alerts: the detection job run once over the demo's history, and
one manager's intervention on the oldest stalled project, so the alert pages and the
managers' home panels show something real from the first sign-in."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pathscore.core.models import Option
from pathscore.insights import services
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
