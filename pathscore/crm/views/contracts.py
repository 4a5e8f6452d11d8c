"""Views of the records: contracts."""

urlpatterns = []
