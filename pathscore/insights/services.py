"""Writes of the insights: deviation alerts, interventions and the alert thresholds.

Alerts are opened, refreshed and cleared by the detection job (:func:`alerts_detect`),
never by hand; a manager records interventions on them and resolves them. Every
"exactly once" here rests on the database, not on timing: an alert opens once per
subject because of a partial unique constraint, a state change is a conditional UPDATE
that only one caller wins, and a look-again reminder claims its alert the same way. So
two workers running the job at once open one alert and send one reminder.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.core.choices import SecurityEventKind
from pathscore.core.events import publish
from pathscore.core.jobs import claim
from pathscore.core.models import Option
from pathscore.core.scoping import scope_for
from pathscore.core.security import record_security_event
from pathscore.insights import events
from pathscore.insights.alerts import detection, thresholds
from pathscore.insights.alerts.detection import Finding
from pathscore.insights.choices import AlertState
from pathscore.insights.models import Alert, AlertThreshold, Intervention
from pathscore.insights.options import INTERVENTION_KIND
from pathscore.org.models import User

logger = logging.getLogger(__name__)

#: Longest note or resolution kept (a page of text).
NOTE_MAX_LENGTH = 4000


# --- Who may act on an alert -------------------------------------------------------------------


def may_intervene(user: User, alert: Alert) -> bool:
    """The managers above the alert's salesperson: heads of a department whose subtree
    holds the salesperson's team. Never the salesperson themselves; HR and executives
    read alerts but coaching is the line manager's."""
    if user.pk == alert.person_id:
        return False
    department = alert.person.department
    if department is None:
        return False
    return any(department.path.startswith(path) for path in scope_for(user).managed_paths)


def _require_intervener(user: User, alert: Alert) -> None:
    if not Alert.objects.visible_to(user).filter(pk=alert.pk).exists():
        raise PermissionDenied
    if not may_intervene(user, alert):
        raise PermissionDenied


def _note(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {field: _("Keep it under %(count)d characters.") % {"count": NOTE_MAX_LENGTH}}
        )
    return text


# --- Opening, refreshing, clearing -----------------------------------------------------------


def _fields_of(finding: Finding) -> dict:
    return {
        "measured": finding.measured,
        "threshold": finding.threshold,
        "unit": finding.unit,
        "detail": finding.detail,
    }


def alert_for(*, finding: Finding, now: dt.datetime) -> Alert:
    """The (unsaved) alert a finding opens."""
    return Alert(
        kind=finding.kind,
        subject_key=finding.subject_key,
        person_id=finding.person_id,
        project_id=finding.project_id,
        document_id=finding.document_id,
        followup_id=finding.followup_id,
        node_id=finding.node_id,
        detected_at=now,
        **_fields_of(finding),
    )


def alert_open(*, finding: Finding, now: dt.datetime) -> Alert | None:
    """Open an alert for ``finding``, or return None when one already exists for its
    subject (opened by this run's twin, or an episode a manager resolved while the
    condition still holds). The manager hears of it after the commit."""
    alert = alert_for(finding=finding, now=now)
    try:
        with transaction.atomic():
            alert.save()
            publish(events.ALERT_OPENED, alert_id=alert.pk)
    except IntegrityError:
        return None
    return alert


def alert_refresh(*, alert_id: int, finding: Finding, now: dt.datetime) -> bool:
    """Put today's figures on an open alert; False if it is no longer open."""
    with transaction.atomic():
        return claim(
            Alert.objects.all(),
            alert_id,
            where={"state": AlertState.OPEN},
            values={**_fields_of(finding), "detected_at": now},
        )


def alert_clear(*, alert_id: int, now: dt.datetime) -> bool:
    """The condition went away: an open alert is closed as cleared by itself; a resolved
    one only records that its episode is over (so a recurrence opens a new alert)."""
    with transaction.atomic():
        if claim(
            Alert.objects.all(),
            alert_id,
            where={"state": AlertState.OPEN, "condition_holds": True},
            values={"state": AlertState.CLEARED, "condition_holds": False, "cleared_at": now},
        ):
            return True
        claim(
            Alert.objects.all(),
            alert_id,
            where={"condition_holds": True},
            values={"condition_holds": False},
        )
        return False


def alerts_detect(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The detection job: open an alert per new finding, refresh the figures of open ones,
    clear those whose condition went away. Idempotent: a second run changes nothing, and
    two runs at once open each alert once.

    Each step is its own short transaction, so a long run never holds the database and a
    failure leaves every step before it done."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    found = {finding.key: finding for finding in detection.findings(today=today, now=now)}
    episodes = {
        (row["kind"], row["subject_key"]): row
        for row in Alert.objects.filter(condition_holds=True).values(
            "pk", "kind", "subject_key", "state", "measured", "threshold", "detail"
        )
    }
    counts = {"opened": 0, "refreshed": 0, "cleared": 0}
    for key, finding in found.items():
        episode = episodes.get(key)
        if episode is None:
            if alert_open(finding=finding, now=now) is not None:
                counts["opened"] += 1
                continue
            # A concurrent run opened it first: treat it as existing.
            episode = (
                Alert.objects.filter(
                    kind=finding.kind, subject_key=finding.subject_key, condition_holds=True
                )
                .values("pk", "state", "measured", "threshold", "detail")
                .first()
            )
            if episode is None:
                continue
        unchanged = (
            episode["measured"] == finding.measured
            and episode["threshold"] == finding.threshold
            and episode["detail"] == finding.detail
        )
        if episode["state"] == AlertState.OPEN and not unchanged:
            counts["refreshed"] += alert_refresh(alert_id=episode["pk"], finding=finding, now=now)
    for key, episode in episodes.items():
        if key not in found:
            counts["cleared"] += alert_clear(alert_id=episode["pk"], now=now)
    return counts


# --- What managers do -------------------------------------------------------------------------


@transaction.atomic
def intervention_record(
    *,
    alert: Alert,
    actor: User,
    kind: Option | None,
    note: str,
    done_on: dt.date | None,
    look_again_on: dt.date | None = None,
) -> Intervention:
    """Record what a manager did about an open alert, and when they will look again.

    The look-again date replaces the alert's previous one (none given: nothing planned),
    and a reminder goes out once when it comes."""
    _require_intervener(actor, alert)
    if not alert.is_open:
        raise ValidationError(_("This alert is no longer open."))
    errors = {}
    if kind is None or kind.kind != INTERVENTION_KIND or not kind.is_active:
        errors["kind"] = _("Choose what you did.")
    try:
        note = _note(note, "note", _("Write a note: what did you do, and what came of it?"))
    except ValidationError as error:
        errors.update(error.message_dict)
    today = timezone.localdate()
    if done_on is None:
        errors["done_on"] = _("Give the date you did it.")
    elif done_on > today:
        errors["done_on"] = _("The date cannot be in the future.")
    if look_again_on is not None and look_again_on < today:
        errors["look_again_on"] = _("The look-again date cannot be in the past.")
    if errors:
        raise ValidationError(errors)
    intervention = Intervention(
        alert=alert,
        kind=kind,
        note=note,
        done_on=done_on,
        look_again_on=look_again_on,
        recorded_by=actor,
    )
    intervention._history_user = actor
    intervention.save()
    if not claim(
        Alert.objects.all(),
        alert.pk,
        where={"state": AlertState.OPEN},
        values={
            "look_again_on": look_again_on,
            "look_again_by": actor if look_again_on else None,
            "look_again_reminded_on": None,
        },
    ):
        # Resolved or cleared meanwhile: nothing is half-saved.
        raise ValidationError(_("This alert is no longer open."))
    alert.look_again_on = look_again_on
    return intervention


@transaction.atomic
def alert_resolve(*, alert: Alert, actor: User, note: str) -> Alert:
    """Close an open alert by hand, saying how it was resolved. If the condition still
    holds, the same episode is not raised again; it opens anew only after it clears."""
    _require_intervener(actor, alert)
    note = _note(note, "resolution_note", _("Say how the alert was resolved."))
    now = timezone.now()
    if not claim(
        Alert.objects.all(),
        alert.pk,
        where={"state": AlertState.OPEN},
        values={
            "state": AlertState.RESOLVED,
            "resolved_at": now,
            "resolved_by": actor,
            "resolution_note": note,
        },
    ):
        raise ValidationError(_("This alert is no longer open."))
    alert.refresh_from_db()
    return alert


def look_again_remind(*, today: dt.date | None = None) -> int:
    """Remind managers whose look-again date has come, once per date: each alert is
    claimed with a conditional UPDATE before its message goes out."""
    today = today or timezone.localdate()
    due = Alert.objects.filter(
        state=AlertState.OPEN,
        look_again_on__lte=today,
        look_again_reminded_on__isnull=True,
    ).values_list("pk", "look_again_on")
    sent = 0
    for pk, look_again_on in due:
        with transaction.atomic():
            if claim(
                Alert.objects.all(),
                pk,
                where={
                    "state": AlertState.OPEN,
                    "look_again_on": look_again_on,
                    "look_again_reminded_on__isnull": True,
                },
                values={"look_again_reminded_on": today},
            ):
                publish(events.LOOK_AGAIN_DUE, alert_id=pk)
                sent += 1
    return sent


# --- Thresholds -------------------------------------------------------------------------------


def may_edit_thresholds(user: User) -> bool:
    return scope_for(user).manages_org


@transaction.atomic
def thresholds_update(*, actor: User, values: dict) -> list[str]:
    """Save the thresholds given (code → value); returns the codes that changed. Every
    value is checked against its bounds first, so nothing is saved if one is wrong."""
    if not may_edit_thresholds(actor):
        raise PermissionDenied
    errors = {}
    cleaned: dict[str, Decimal] = {}
    for code, raw in values.items():
        definition = thresholds.BY_CODE.get(code)
        if definition is None:
            errors[code] = _("Unknown setting.")
            continue
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            errors[code] = _("Enter a number.")
            continue
        if not value.is_finite() or not definition.minimum <= value <= definition.maximum:
            errors[code] = _("Enter a value from %(low)s to %(high)s.") % {
                "low": definition.minimum,
                "high": definition.maximum,
            }
        elif definition.integer and value != value.to_integral_value():
            errors[code] = _("Enter a whole number.")
        else:
            cleaned[code] = value
    if errors:
        raise ValidationError(errors)
    current = thresholds.current()
    stored = {row.code: row for row in AlertThreshold.objects.filter(code__in=cleaned)}
    changed = []
    for code, value in cleaned.items():
        if current[code] == value:
            continue
        row = stored.get(code) or AlertThreshold(code=code)
        row.value = value
        row.updated_by = actor
        row._history_user = actor
        row.save()
        changed.append(code)
    if changed:
        record_security_event(
            kind=SecurityEventKind.SETTINGS_CHANGED,
            actor=actor,
            setting="alert_thresholds",
            changed={code: str(cleaned[code]) for code in changed},
        )
    return changed
