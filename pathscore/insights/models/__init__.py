from pathscore.insights.models.alerts import Alert, Intervention
from pathscore.insights.models.thresholds import AlertThreshold

__all__ = ["Alert", "AlertThreshold", "Intervention"]
