"""Choices owned by the insights: the kinds and states of deviation alerts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    CONVERSION = "conversion", _("Low stage conversion")
    ADJUSTMENT = "adjustment", _("Long proposal adjustment")
    STALL = "stall", _("Stalled project")
    RELAY = "relay", _("Feedback not relayed")


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    CLEARED = "cleared", _("Cleared by itself")


class AlertUnit(models.TextChoices):
    PERCENT = "percent", "%"
    DAYS = "days", _("days")
    HOURS = "hours", _("hours")
