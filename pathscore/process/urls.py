"""The process engine's URLs: each views module declares its own patterns."""

from pathscore.process.views import configuration, nodes, tasks

app_name = "process"

urlpatterns = [*nodes.urlpatterns, *tasks.urlpatterns, *configuration.urlpatterns]
