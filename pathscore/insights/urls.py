"""The insights' URLs: the team dashboard and its drill-down pages."""

from pathscore.insights.views import urlpatterns as _pages

app_name = "insights"

urlpatterns = [*_pages]
