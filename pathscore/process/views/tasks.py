"""Views of the process engine: tasks."""

urlpatterns = []
