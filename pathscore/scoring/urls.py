"""The evaluation's URLs: each views module declares its own patterns."""

from pathscore.scoring.views import activities, scorecards, scores

app_name = "scoring"

urlpatterns = [
    *scorecards.urlpatterns,
    *activities.urlpatterns,
    *scores.urlpatterns,
]
