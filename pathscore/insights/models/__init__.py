from pathscore.insights.models.alerts import Alert, Intervention
from pathscore.insights.models.rollups import ActiveProjectCount, FollowUpDayCount
from pathscore.insights.models.snapshots import FiguresSnapshot
from pathscore.insights.models.thresholds import AlertThreshold

__all__ = [
    "ActiveProjectCount",
    "Alert",
    "AlertThreshold",
    "FiguresSnapshot",
    "FollowUpDayCount",
    "Intervention",
]
