"""The insights' URLs: the team dashboard and its drill-down pages, the reports, the alerts."""

from pathscore.insights.alerts.views import urlpatterns as _alerts
from pathscore.insights.reports.views import urlpatterns as _reports
from pathscore.insights.views import urlpatterns as _pages

app_name = "insights"

urlpatterns = [*_pages, *_reports, *_alerts]
