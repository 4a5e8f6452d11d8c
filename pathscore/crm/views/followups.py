"""Views of the records: followups."""

urlpatterns = []
