"""The evaluation's URLs: each views module declares its own patterns."""

from pathscore.scoring.views import activities, scorecards

app_name = "scoring"

urlpatterns = [
    *scorecards.urlpatterns,
    *activities.urlpatterns,
]
