"""Views of the process engine: configuration."""

urlpatterns = []
