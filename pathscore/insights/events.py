"""Names of the domain events the insights publish (handled in ``notifications.py``)."""

ALERT_OPENED = "insights.alert_opened"
LOOK_AGAIN_DUE = "insights.look_again_due"
