from pathscore.scoring.models.activities import (
    Attendance,
    Commendation,
    CustomerRating,
    QualityRating,
    TrainingCourse,
    TrainingSession,
)
from pathscore.scoring.models.live import LiveScore
from pathscore.scoring.models.periods import Adjustment, Appeal, Period, Result
from pathscore.scoring.models.scorecards import Scorecard, ScorecardDimension, ScorecardItem

__all__ = [
    "Adjustment",
    "Appeal",
    "Attendance",
    "Commendation",
    "CustomerRating",
    "LiveScore",
    "Period",
    "QualityRating",
    "Result",
    "Scorecard",
    "ScorecardDimension",
    "ScorecardItem",
    "TrainingCourse",
    "TrainingSession",
]
