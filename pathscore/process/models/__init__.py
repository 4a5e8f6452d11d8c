from pathscore.process.models.delays import DelayCategory, DelayReason
from pathscore.process.models.instances import NodeInstance, ProjectProcess, Submission
from pathscore.process.models.reminders import ReminderLog
from pathscore.process.models.stalls import StallThreshold
from pathscore.process.models.tasks import AutomationRule, HandoffTask
from pathscore.process.models.templates import NodeDefinition, ProcessTemplate, TemplateVersion

__all__ = [
    "AutomationRule",
    "DelayCategory",
    "DelayReason",
    "HandoffTask",
    "NodeDefinition",
    "NodeInstance",
    "ProcessTemplate",
    "ProjectProcess",
    "ReminderLog",
    "StallThreshold",
    "Submission",
    "TemplateVersion",
]
