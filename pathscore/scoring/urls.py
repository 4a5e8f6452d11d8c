"""The evaluation's URLs: each views module declares its own patterns."""

from pathscore.scoring.views import activities, periods, reports, scorecards, scores, suggestions

app_name = "scoring"

urlpatterns = [
    *scorecards.urlpatterns,
    *activities.urlpatterns,
    *scores.urlpatterns,
    *periods.urlpatterns,
    *reports.urlpatterns,
    *suggestions.urlpatterns,
]
