"""Views of the records: documents."""

urlpatterns = []
