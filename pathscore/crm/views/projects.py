"""Views of the records: projects."""

urlpatterns = []
