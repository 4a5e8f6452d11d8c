"""Views of the process engine: nodes."""

urlpatterns = []
